package artifacts

import (
	"fmt"
	"strconv"
	"strings"
)

// uriPrefix starts every plot URI.
const uriPrefix = "sandbox://sessions/"

// URITemplate is the RFC 6570 template of plot URIs. It matches every URI that URI returns.
const URITemplate = uriPrefix + "{session_id}/plots/{file}"

// URI returns the URI of plot p of the conversation sessionID, such as
// sandbox://sessions/s_abc/plots/3.png.
func URI(sessionID string, p Plot) string {
	return fmt.Sprintf("%s%s/plots/%d.%s", uriPrefix, sessionID, p.Number, p.Extension())
}

// ParseURI returns the conversation and the plot number and extension that uri names, or
// an error wrapping ErrInvalidURI.
func ParseURI(uri string) (sessionID string, number int, extension string, err error) {
	invalid := fmt.Errorf("%w: %q, want %s<session_id>/plots/<number>.<extension>", ErrInvalidURI, uri, uriPrefix)
	rest, ok := strings.CutPrefix(uri, uriPrefix)
	if !ok {
		return "", 0, "", invalid
	}
	sessionID, file, ok := strings.Cut(rest, "/plots/")
	if !ok || sessionID == "" || strings.Contains(sessionID, "/") {
		return "", 0, "", invalid
	}
	digits, extension, ok := strings.Cut(file, ".")
	number, err = strconv.Atoi(digits)
	if !ok || err != nil || number < 1 || digits != strconv.Itoa(number) {
		return "", 0, "", invalid
	}
	return sessionID, number, extension, nil
}
