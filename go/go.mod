module nydusoverlay

go 1.19
