package nydusoverlay

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// verdicts names the results selection.tsv uses (NYDUS_OVERLAY_ERR_ without the prefix).
var verdicts = map[string]*Error{
	"OK":                     nil,
	"NO_EXTRAOPTION":         ErrNoExtraOption,
	"EXTRAOPTION_NOT_UNIQUE": ErrExtraOptionNotUnique,
	"NUL_BYTE":               ErrNulByte,
	"BASE64":                 ErrBase64,
	"JSON_SYNTAX":            ErrJSONSyntax,
	"JSON_UTF8":              ErrJSONUTF8,
	"JSON_TYPE":              ErrJSONType,
	"EMPTY_FIELD":            ErrEmptyField,
	"MISSING_FIELD":          ErrMissingField,
	"BAD_FS_VERSION":         ErrBadFsVersion,
	"DUPLICATE_FIELD":        ErrDuplicateField,
}

// TestSelectionTable: every Go entry point that picks an extraoption= item gives each row of
// tests/data/selection.tsv its verdict under each rule set, as the C and Rust entry points do
// over the same table (tests/c/test_selection.c, ffi/tests/selection.rs).
func TestSelectionTable(t *testing.T) {
	f, err := os.Open(filepath.Join(fixtureDir(), "selection.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		col := strings.Split(line, "\t")
		if len(col) != 4 {
			t.Fatalf("bad row %q", line)
		}
		rows++
		t.Run(col[0], func(t *testing.T) {
			for i, rules := range []Rules{GoRules, RustRules} {
				want, known := verdicts[col[1+i]]
				if !known {
					t.Fatalf("unknown verdict %s", col[1+i])
				}
				for _, opts := range []string{col[3], "lowerdir=/a:/b," + col[3]} {
					_, errList := ExtraOptionFromOptions(strings.Split(opts, ","), rules)
					_, errString := ExtraOptionFromString(opts, rules)
					for name, got := range map[string]error{"ExtraOptionFromOptions": errList, "ExtraOptionFromString": errString} {
						if (want == nil) != (got == nil) || want != nil && !errors.Is(got, want) {
							t.Errorf("%v, %.40q: %s gave %v, want %v", rules, opts, name, got, want)
						}
					}
				}
			}
		})
	}
	if err := sc.Err(); err != nil || rows < 15 {
		t.Fatalf("%d rows, %v", rows, err)
	}
}
