//go:build go1.21

package nydusoverlay

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"testing"
)

// slogEvery logs a case's values through a handler every way slog takes them: key-value
// pairs, Attrs, a group, With, and the LogValuer resolved by hand.
func slogEvery(t *testing.T, h slog.Handler, c leakCase) {
	t.Helper()
	log := slog.New(h)
	args := []any{}
	attrs := []slog.Attr{}
	for i, x := range c.values() {
		args = append(args, fmt.Sprintf("v%d", i), x)
		attrs = append(attrs, slog.Any(fmt.Sprintf("a%d", i), x))
	}
	log.Debug("decoded", args...)
	log.LogAttrs(context.Background(), slog.LevelInfo, "decoded", attrs...)
	log.Info("decoded", slog.Group("mount", args...))
	log.With(args...).Warn("decoded")
	if c.extra != nil {
		log.Info("config", "config", c.extra.Config, slog.Any("resolved", slog.AnyValue(c.extra.Config).Resolve()))
	}
}

func TestSecretSlogText(t *testing.T) {
	checkSlogHandler(t, "slog.TextHandler", func(b *bytes.Buffer) slog.Handler {
		return slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})
	})
}

func TestSecretSlogJSON(t *testing.T) {
	checkSlogHandler(t, "slog.JSONHandler", func(b *bytes.Buffer) slog.Handler {
		return slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})
	})
}

// checkSlogHandler logs every leak case through the handler newHandler makes: nothing secret
// is written, and something is redacted.
func checkSlogHandler(t *testing.T, what string, newHandler func(*bytes.Buffer) slog.Handler) {
	for _, c := range leakCases(t) {
		var b bytes.Buffer
		slogEvery(t, newHandler(&b), c)
		assertClean(t, c, what, b.Bytes())
		if !bytes.Contains(b.Bytes(), []byte(Redacted)) {
			t.Fatalf("%s: nothing redacted, so nothing was logged: %s", c.name, b.Bytes())
		}
	}
}

// TestSecretSlogLogValue: a Secret is a slog.LogValuer that resolves to the redaction.
func TestSecretSlogLogValue(t *testing.T) {
	var v slog.LogValuer = NewSecret(marker)
	if got := v.LogValue(); got.Kind() != slog.KindString || got.String() != Redacted {
		t.Fatalf("LogValue: %v", got)
	}
	if got := slog.AnyValue(NewSecret(marker)).Resolve().String(); got != Redacted {
		t.Fatalf("Resolve: %q", got)
	}
}
