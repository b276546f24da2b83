package artifacts

import (
	"errors"
	"testing"
)

func TestURIRoundTrip(t *testing.T) {
	p := Plot{Number: 12, MIMEType: "image/png"}
	uri := URI("s_AbC-d_9", p)
	if want := "sandbox://sessions/s_AbC-d_9/plots/12.png"; uri != want {
		t.Fatalf("URI() = %q, want %q", uri, want)
	}
	id, n, ext, err := ParseURI(uri)
	if err != nil || id != "s_AbC-d_9" || n != 12 || ext != "png" {
		t.Errorf("ParseURI(%q) = %q, %d, %q, %v, want s_AbC-d_9, 12, png, nil", uri, id, n, ext, err)
	}
}

func TestParseURIInvalid(t *testing.T) {
	for _, uri := range []string{
		"",
		"file:///etc/passwd",
		"sandbox://sessions//plots/1.png",
		"sandbox://sessions/s_a/plots/1",
		"sandbox://sessions/s_a/plots/0.png",
		"sandbox://sessions/s_a/plots/-1.png",
		"sandbox://sessions/s_a/plots/01.png",
		"sandbox://sessions/s_a/plots/x.png",
		"sandbox://sessions/s_a/b/plots/1.png",
		"sandbox://sessions/s_a/files/1.png",
	} {
		if _, _, _, err := ParseURI(uri); !errors.Is(err, ErrInvalidURI) {
			t.Errorf("ParseURI(%q) error = %v, want ErrInvalidURI", uri, err)
		}
	}
}
