package pool

// Labels carried by every container this project creates. The reaper finds orphans by them.
const (
	// LabelManaged marks a container as created by sandbox-mcp; its value is "true".
	LabelManaged = "io.sandbox-mcp.managed"
	// LabelInstance is the ID of the server instance that created the container.
	LabelInstance = "io.sandbox-mcp.instance"
	// LabelHost is the host name of the machine that server instance runs on.
	LabelHost = "io.sandbox-mcp.host"
	// LabelPool names the pool, which is the runtime's name.
	LabelPool = "io.sandbox-mcp.pool"
	// LabelLanguage is the runtime's language.
	LabelLanguage = "io.sandbox-mcp.language"
	// LabelConversation is the conversation a temporary container was created for. Warm
	// containers are created before any conversation and carry "", because engines such as
	// Docker cannot change labels later.
	LabelConversation = "io.sandbox-mcp.conversation"
	// LabelTemporary is "true" on containers created outside the pool's count.
	LabelTemporary = "io.sandbox-mcp.temporary"
	// LabelRole is "installer" on the short-lived containers that install packages, and
	// absent on sandboxes.
	LabelRole = "io.sandbox-mcp.role"
)

// HasLabels reports whether labels contains every key of want with the same value. It is
// List's match, for backends that filter on their own side.
func HasLabels(labels, want map[string]string) bool {
	for key, value := range want {
		if got, ok := labels[key]; !ok || got != value {
			return false
		}
	}
	return true
}
