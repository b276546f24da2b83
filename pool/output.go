package pool

import (
	"fmt"
	"strings"
	"sync"
)

// Output is one stream of a run, capped: when it was longer than the cap, Text keeps its
// head and its tail with a marker line between them, and Dropped counts the bytes left out.
type Output struct {
	Text    string `json:"text"`
	Dropped int64  `json:"dropped_bytes,omitempty"`
}

// cappedBuffer is an io.Writer that keeps the first and the last limit/2 bytes written to
// it and counts the rest, so a program's output is drained at constant memory.
type cappedBuffer struct {
	mu    sync.Mutex
	limit int
	head  []byte
	tail  []byte // ring buffer of at most limit-len(head) bytes, oldest at start
	start int    // index of the oldest byte in tail once it is full
	total int64
}

func newCappedBuffer(limit int64) *cappedBuffer {
	return &cappedBuffer{limit: int(max(limit, 2))}
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	written := len(p)
	b.total += int64(written)
	headCap := b.limit / 2
	if n := min(headCap-len(b.head), len(p)); n > 0 {
		b.head = append(b.head, p[:n]...)
		p = p[n:]
	}
	tailCap := b.limit - headCap
	for len(p) > 0 {
		if len(b.tail) < tailCap {
			n := min(tailCap-len(b.tail), len(p))
			b.tail = append(b.tail, p[:n]...)
			p = p[n:]
			continue
		}
		if len(p) >= tailCap {
			copy(b.tail, p[len(p)-tailCap:])
			b.start = 0
			break
		}
		n := copy(b.tail[b.start:], p)
		if n < len(p) {
			copy(b.tail, p[n:])
		}
		b.start = (b.start + len(p)) % tailCap
		break
	}
	return written, nil
}

// Output returns the kept bytes as text, with invalid UTF-8 replaced by U+FFFD.
func (b *cappedBuffer) Output() Output {
	b.mu.Lock()
	defer b.mu.Unlock()
	tail := append(append([]byte(nil), b.tail[b.start:]...), b.tail[:b.start]...)
	kept := int64(len(b.head) + len(tail))
	dropped := b.total - kept
	if dropped == 0 {
		return Output{Text: strings.ToValidUTF8(string(b.head)+string(tail), "\uFFFD")}
	}
	text := strings.ToValidUTF8(string(b.head), "\uFFFD") +
		fmt.Sprintf("\n[... %d bytes dropped ...]\n", dropped) +
		strings.ToValidUTF8(string(tail), "\uFFFD")
	return Output{Text: text, Dropped: dropped}
}
