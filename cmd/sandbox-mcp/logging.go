package main

import (
	"io"
	"log/slog"
	"os"

	"github.com/lmittmann/tint"
	"golang.org/x/term"
)

// newLogger logs to w, which is stderr: stdout belongs to the stdio protocol. On a terminal
// it uses tint's coloured lines, elsewhere plain key=value text. Write errors are ignored by
// slog, so a closed stderr never stops the server.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return slog.New(tint.NewHandler(w, &tint.Options{Level: level}))
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
