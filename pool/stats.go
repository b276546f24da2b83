package pool

import "time"

// RemoveReason is the cause of a container's removal. Stats count removals per reason.
type RemoveReason string

const (
	ReasonConversationEnd RemoveReason = "conversation_end"
	ReasonUnhealthy       RemoveReason = "unhealthy"
	ReasonExpired         RemoveReason = "expired"
	ReasonShutdown        RemoveReason = "shutdown"
	ReasonOrphan          RemoveReason = "orphan"
)

// Stats is a snapshot of one pool.
type Stats struct {
	Pool     string `json:"pool"`
	Idle     int    `json:"idle"`
	Leased   int    `json:"leased"`
	Creating int    `json:"creating"`
	// Total counts the containers the pool owns (creating, idle, leased, being removed),
	// never temporary ones.
	Total int `json:"total"`
	Max   int `json:"max"`
	// Temporary counts the live temporary containers, created outside Total.
	Temporary int `json:"temporary"`

	Created        uint64                  `json:"created"`
	CreateFailures uint64                  `json:"create_failures"`
	Removed        map[RemoveReason]uint64 `json:"removed"`
	Waits          uint64                  `json:"waits"`
	WaitTime       time.Duration           `json:"wait_time_ns"`
	Exhausted      uint64                  `json:"exhausted"`
	TemporaryTotal uint64                  `json:"temporary_created"`
	// LastCreateError is the most recent creation failure, empty after a success.
	LastCreateError string `json:"last_create_error,omitempty"`
}
