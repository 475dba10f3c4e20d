//go:build go1.21

package nydusoverlay

import "log/slog"

// LogValue makes log/slog record [Redacted] whatever the handler (slog.LogValuer, Go 1.21 and
// later).
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }
