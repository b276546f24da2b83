package pool

// The layout inside every sandbox container. The root filesystem is read-only; everything
// writable is on size-capped tmpfs mounts.
const (
	// SandboxDir is the tmpfs mount that holds the working directory and the support files.
	SandboxDir = "/sandbox"
	// WorkDir is the working directory of every run; the conversation's files live here.
	WorkDir = "/sandbox/work"
	// SupportDir holds the scripts the server installs at warm-up. They belong to
	// KeeperUser, so code running as CodeUser can read but not change them.
	SupportDir = "/sandbox/.support"
	// TmpDir is the container's /tmp, a tmpfs of its own.
	TmpDir = "/tmp"

	// KeeperUser runs the container's main process and installs the support files.
	KeeperUser = "65532:65532"
	// CodeUser runs the user's code. Killing every process of this user spares the main
	// process, so a timeout never stops the container.
	CodeUser = "65534:65534"

	// ArtifactsRoot holds one directory per run, named by the run's ID, where the run leaves
	// files for the server to collect, such as plots.
	ArtifactsRoot = "/sandbox/.artifacts"
	// ArtifactsEnv names the run's artifact directory in its environment.
	ArtifactsEnv = "SANDBOX_MCP_ARTIFACTS"

	// RunIDEnv holds the run's ID in the environment of the run script.
	RunIDEnv = "SANDBOX_MCP_RUN"
	// RunFile is where the run script records the current run's ID and start time. The
	// kill script stops every process that started since, which is the run's whole
	// process tree because runs in a container are serialized.
	RunFile = "/sandbox/.run"
)

// KeeperCommand is the main process of a sandbox container: it sleeps until SIGTERM.
var KeeperCommand = []string{"sleep", "infinity"}

// SandboxLimits are the resource limits and mount sizes of a sandbox container.
type SandboxLimits struct {
	Limits
	WorkDirBytes int64 // size of the SandboxDir tmpfs
	TmpBytes     int64 // size of the TmpDir tmpfs
	// Runtime names an OCI runtime such as "runsc"; empty means the engine's default.
	Runtime string
}

// SandboxSpec returns the hardened spec of a sandbox container: no network, a read-only
// root filesystem, SandboxDir and TmpDir as size-capped tmpfs mounts, an init process, and
// KeeperCommand as KeeperUser.
func SandboxSpec(image string, l SandboxLimits) Spec {
	return Spec{
		Image:        image,
		Command:      KeeperCommand,
		User:         KeeperUser,
		ExecUsers:    []string{CodeUser},
		ReadOnlyRoot: true,
		Init:         true,
		Runtime:      l.Runtime,
		Tmpfs: []Tmpfs{
			{Path: SandboxDir, SizeBytes: l.WorkDirBytes},
			{Path: TmpDir, SizeBytes: l.TmpBytes},
		},
		Limits: l.Limits,
	}
}
