package pool

import "fmt"

// State is the stage of a container's life. Transitions are checked by checkTransition.
type State int

const (
	StateCreating State = iota
	StateIdle
	StateLeased
	StateUnhealthy
	StateRemoving
	StateRemoved
)

var stateNames = [...]string{"creating", "idle", "leased", "unhealthy", "removing", "removed"}

func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return fmt.Sprintf("state(%d)", int(s))
	}
	return stateNames[s]
}

// allowed lists the legal transitions. A container being created goes straight to removing
// when warm-up fails or the pool closes. A temporary container is leased straight from
// creating because it never waits in the pool.
var allowed = map[State][]State{
	StateCreating:  {StateIdle, StateLeased, StateRemoving},
	StateIdle:      {StateLeased, StateUnhealthy, StateRemoving},
	StateLeased:    {StateRemoving},
	StateUnhealthy: {StateRemoving},
	StateRemoving:  {StateRemoved},
}

// IllegalTransitionError reports a state change the machine does not allow; it means a bug.
type IllegalTransitionError struct {
	From, To State
}

func (e *IllegalTransitionError) Error() string {
	return fmt.Sprintf("illegal container state transition from %s to %s", e.From, e.To)
}

func checkTransition(from, to State) error {
	for _, s := range allowed[from] {
		if s == to {
			return nil
		}
	}
	return &IllegalTransitionError{From: from, To: to}
}
