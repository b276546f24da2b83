// Package config loads, validates and documents the sandbox-mcp configuration file.
//
// The file is YAML. Durations are Go duration strings ("30s", "5m", "8h"). Sizes are a
// number of bytes or a number with a binary unit ("512MiB", "1GiB", "64KiB"). Every key is
// optional: a key left out keeps its Default value. Unknown keys are rejected with the file
// line. After the file, SANDBOX_MCP_* environment variables override single keys (see
// EnvVars), and then Validate checks the result.
//
// Go callers read durations as time.Duration and sizes as int64 bytes. A Config is a plain
// value. Its methods do not modify it, so concurrent reads are safe. Copies share the
// Runtimes map.
package config

import "time"

// Config is the whole configuration. Default returns the values used when no file is given,
// and a file overrides only the keys it sets.
type Config struct {
	// Backend selects the container engine: "docker", "podman" or "kubernetes".
	Backend string `yaml:"backend" jsonschema_description:"Container engine: docker, podman through its Docker-compatible API socket, or kubernetes."`
	// Docker configures the Docker Engine connection (also used for Podman's compatible API).
	Docker Docker `yaml:"docker" jsonschema_description:"Engine connection of the docker and podman backends."`
	// Kubernetes configures the kubernetes backend.
	Kubernetes Kubernetes `yaml:"kubernetes" jsonschema_description:"Cluster, namespace and pod settings of the kubernetes backend."`
	// Pool holds the pool settings of every runtime. Runtimes can override single keys.
	Pool Pool `yaml:"pool" jsonschema_description:"Warm container pool of each runtime. Each runtime has its own pool with these settings."`
	// Sandbox holds the limits of every runtime's containers. Runtimes can override single keys.
	Sandbox Sandbox `yaml:"sandbox" jsonschema_description:"Limits of each container and of each run."`
	// Conversation bounds the life of a conversation.
	Conversation Conversation `yaml:"conversation" jsonschema_description:"Limits on the life of a conversation."`
	// Plots configures plot capture and bounds the plots that results carry.
	Plots Plots `yaml:"plots" jsonschema_description:"Plots that runs make: their format and the limits on the images that results carry."`
	// Runtimes configures languages by name ("python", "javascript"). A runtime that is
	// absent is enabled, with its built-in image and the top-level settings. ForRuntime
	// returns a runtime's effective settings.
	Runtimes map[string]Runtime `yaml:"runtimes,omitempty" jsonschema_description:"Settings of single runtimes, keyed by runtime name. A runtime left out is enabled, with its built-in image and the settings above."`
	// Reaper removes containers left behind by server instances that are gone.
	Reaper Reaper `yaml:"reaper" jsonschema_description:"Removal of containers left by server instances that are gone."`
	// HTTP configures the streamable HTTP transport.
	HTTP HTTP `yaml:"http" jsonschema_description:"Streamable HTTP transport."`
	// Packages configures install_packages.
	Packages Packages `yaml:"packages" jsonschema_description:"Package installation with install_packages. Installs run in a short-lived installer container with network access; sandboxes never get one."`
}

// Docker is the engine connection.
type Docker struct {
	// Host is the engine address, such as unix:///var/run/docker.sock. Empty means
	// DOCKER_HOST, then the engine's default socket.
	Host string `yaml:"host" jsonschema_description:"Engine API address, such as unix:///var/run/docker.sock. Empty uses DOCKER_HOST, then the engine's default socket."`
}

// Kubernetes configures the kubernetes backend: where its pods run and the pod settings
// that do not come from the sandbox limits.
type Kubernetes struct {
	// Kubeconfig is a kubeconfig file. Empty means KUBECONFIG, then ~/.kube/config, then
	// the in-cluster service account.
	Kubeconfig string `yaml:"kubeconfig" jsonschema_description:"Path of a kubeconfig file. Empty uses KUBECONFIG, then ~/.kube/config, then the in-cluster service account."`
	// Context names a kubeconfig context. Empty means the current context.
	Context string `yaml:"context" jsonschema_description:"Kubeconfig context. Empty uses the current context."`
	// Namespace holds the sandbox pods. Empty means the context's namespace, then default.
	Namespace string `yaml:"namespace" jsonschema_description:"Namespace of the sandbox pods. Empty uses the context's namespace, then default."`
	// NodeName binds every pod to one node, for clusters without a scheduler.
	NodeName string `yaml:"node_name" jsonschema_description:"Bind every pod to this node, bypassing the scheduler. Empty lets the scheduler place pods."`
	// RuntimeClassName selects a RuntimeClass such as gVisor or Kata. Empty means
	// sandbox.oci_runtime, which names a RuntimeClass on this backend.
	RuntimeClassName string `yaml:"runtime_class_name" jsonschema_description:"RuntimeClass of the pods, such as one for gVisor or Kata. Empty uses sandbox.oci_runtime as the RuntimeClass name."`
	// NodeSelector restricts the nodes that pods run on.
	NodeSelector map[string]string `yaml:"node_selector,omitempty" jsonschema_description:"Node labels a node must have to run sandbox pods."`
	// Tolerations let pods run on tainted nodes.
	Tolerations []Toleration `yaml:"tolerations,omitempty" jsonschema_description:"Tolerations of the sandbox pods, as in a pod spec."`
	// ImagePullPolicy is IfNotPresent, Never or Always.
	ImagePullPolicy string `yaml:"image_pull_policy" jsonschema_description:"When the kubelet pulls sandbox images: IfNotPresent, Never (images loaded on the nodes beforehand) or Always."`
	// PodLabels and PodAnnotations are added to every pod.
	PodLabels      map[string]string `yaml:"pod_labels,omitempty" jsonschema_description:"Labels added to every sandbox pod."`
	PodAnnotations map[string]string `yaml:"pod_annotations,omitempty" jsonschema_description:"Annotations added to every sandbox pod."`
	// CPURequest and MemoryRequest are the requests of each container of a pod, capped at
	// sandbox.cpus and sandbox.memory, which are the limits.
	CPURequest    float64 `yaml:"cpu_request" jsonschema:"minimum=0" jsonschema_description:"CPU request of each container of a sandbox pod, in CPUs. Capped at sandbox.cpus, the limit. A pod has two containers."`
	MemoryRequest int64   `yaml:"memory_request" unit:"bytes" jsonschema:"minimum=0" jsonschema_description:"Memory request of each container of a sandbox pod. Capped at sandbox.memory, the limit."`
	// ManageNetworkPolicy creates the NetworkPolicy that cuts sandbox pods off the network.
	ManageNetworkPolicy bool `yaml:"manage_network_policy" jsonschema_description:"Create the NetworkPolicy that denies all traffic of sandbox pods when it is missing. Turn off when an administrator manages it; it needs a network plugin that enforces NetworkPolicy."`
	// StartTimeout bounds the wait for a new pod to run.
	StartTimeout time.Duration `yaml:"start_timeout" jsonschema_description:"Maximum wait for a new pod to run."`
}

// Toleration is one toleration of a pod, with the fields of a Kubernetes pod spec.
type Toleration struct {
	Key               string `yaml:"key" jsonschema_description:"Taint key; empty with operator Exists matches every taint."`
	Operator          string `yaml:"operator" jsonschema_description:"Equal (the default) or Exists."`
	Value             string `yaml:"value" jsonschema_description:"Taint value, for operator Equal."`
	Effect            string `yaml:"effect" jsonschema_description:"Taint effect to match; empty matches all."`
	TolerationSeconds *int64 `yaml:"toleration_seconds,omitempty" jsonschema_description:"For NoExecute: how long the pod stays bound after the taint appears."`
}

// Exhaustion is the strategy a lease follows when the pool is at max_size.
type Exhaustion string

const (
	// ExhaustionWait waits up to acquire_timeout for a container to free up.
	ExhaustionWait Exhaustion = "wait"
	// ExhaustionFailFast fails the lease at once.
	ExhaustionFailFast Exhaustion = "fail_fast"
	// ExhaustionTemporary creates a container outside the pool's count, destroyed at the end.
	ExhaustionTemporary Exhaustion = "temporary"
)

// Pool configures one runtime's pool of warm containers.
type Pool struct {
	// MinIdle is the number of warm containers kept ready for new conversations.
	MinIdle int `yaml:"min_idle" jsonschema:"minimum=0" jsonschema_description:"Warm containers kept ready for new conversations."`
	// MaxSize bounds idle and leased containers together. Temporary ones do not count.
	MaxSize int `yaml:"max_size" jsonschema:"minimum=1" jsonschema_description:"Maximum number of containers, idle and leased together. Temporary containers do not count."`
	// AcquireTimeout bounds the wait of a lease under ExhaustionWait.
	AcquireTimeout time.Duration `yaml:"acquire_timeout" jsonschema_description:"Maximum wait for a free container when the pool is full and exhaustion is wait."`
	// Exhaustion is the strategy a lease follows when the pool is at MaxSize.
	Exhaustion Exhaustion `yaml:"exhaustion" jsonschema_description:"Behavior of a lease when the pool is full: wait up to acquire_timeout, fail_fast (fail at once), or temporary (create a container outside the pool, destroyed when its conversation ends)."`
	// MaxLifetime is the age after which an idle container is removed instead of leased.
	MaxLifetime time.Duration `yaml:"max_lifetime" jsonschema_description:"Age after which an idle container is removed instead of being leased."`
	// HealthCheckInterval is the time between probes of idle containers.
	HealthCheckInterval time.Duration `yaml:"health_check_interval" jsonschema_description:"Interval between health probes of idle containers."`
	// Prewarm fills the pool to MinIdle at start-up. When false, the pool fills on its first lease.
	Prewarm bool `yaml:"prewarm" jsonschema_description:"Fill the pool to min_idle at start-up. When false, the pool fills on its first lease."`
}

// Sandbox configures the limits of one runtime's containers and runs. Sizes are in bytes.
type Sandbox struct {
	// MemoryBytes is the container's memory limit. Docker 20.10 rejects less than 6 MiB.
	MemoryBytes int64 `yaml:"memory" unit:"bytes" jsonschema:"minimum=6291456" jsonschema_description:"Memory limit of each container, at least 6MiB. A number without a unit is bytes."`
	// CPUs is the container's CPU limit in CPUs. Docker 20.10 rejects less than 0.01.
	CPUs float64 `yaml:"cpus" jsonschema:"minimum=0.01" jsonschema_description:"CPU limit of each container, in CPUs, such as 0.5 or 2. At least 0.01."`
	// Pids is the maximum number of processes and threads in the container.
	Pids int64 `yaml:"pids" jsonschema:"minimum=1" jsonschema_description:"Maximum number of processes and threads in each container."`
	// NoFile is the open files limit (RLIMIT_NOFILE) of the container's processes.
	NoFile int64 `yaml:"nofile" jsonschema:"minimum=1" jsonschema_description:"Open files limit (RLIMIT_NOFILE) of each process in the container."`
	// WorkDirBytes is the size of the tmpfs working directory.
	WorkDirBytes int64 `yaml:"workdir_size" unit:"bytes" jsonschema:"minimum=1" jsonschema_description:"Size of the writable working directory (a tmpfs), where the files of a conversation live."`
	// TmpBytes is the size of the tmpfs mounted at /tmp.
	TmpBytes int64 `yaml:"tmp_size" unit:"bytes" jsonschema:"minimum=1" jsonschema_description:"Size of the writable tmpfs mounted at /tmp."`
	// OutputBytes caps stdout and, separately, stderr of one run.
	OutputBytes int64 `yaml:"output_bytes" unit:"bytes" jsonschema:"minimum=1" jsonschema_description:"Maximum bytes of stdout, and separately of stderr, returned for one run. The middle of a longer stream is dropped."`
	// CodeBytes caps the source code of one run.
	CodeBytes int64 `yaml:"code_bytes" unit:"bytes" jsonschema:"minimum=1" jsonschema_description:"Maximum size of the source code of one run."`
	// DefaultTimeout is the run time limit of a run that gives none.
	DefaultTimeout time.Duration `yaml:"default_timeout" jsonschema_description:"Time limit of a run that does not request one."`
	// MaxTimeout is the largest run time limit a run may request.
	MaxTimeout time.Duration `yaml:"max_timeout" jsonschema_description:"Largest time limit a run may request. Must be at least default_timeout."`
	// OCIRuntime is the engine's OCI runtime name, such as "runsc". Empty means the engine default.
	OCIRuntime string `yaml:"oci_runtime" jsonschema_description:"OCI runtime of the containers, such as runsc for gVisor. Empty uses the engine's default runtime."`
}

// Conversation bounds a conversation's life.
type Conversation struct {
	// IdleTimeout ends a conversation after this long without a tool call.
	IdleTimeout time.Duration `yaml:"idle_timeout" jsonschema_description:"End a conversation, and remove its containers, after this long without a tool call."`
	// MaxAge ends a conversation this long after it started, whatever its activity.
	MaxAge time.Duration `yaml:"max_age" jsonschema_description:"End a conversation this long after it started, however active it is."`
}

// Plots configures plot capture. The byte limits count image data before base64 encoding,
// which adds a third. With the defaults, the images of one result take at most 683 KiB
// after encoding. That leaves room within 1 MiB, the largest tool result that Claude
// Desktop accepts ("Tool result is too large. Maximum size is 1MB."), for the run's
// output, which the result carries twice (as text and as structured content).
type Plots struct {
	// Format is the format of captured figures, "png" or "svg". A run can ask for the other.
	Format string `yaml:"format" jsonschema_description:"Format of captured plots: png, or svg for vector images, which some clients cannot show. The plot_format argument of run_code overrides it for one run."`
	// MaxSide is the maximum length of the longer side of a plot, in pixels. The default,
	// 1568, is the longest side that Claude's vision documentation lets through the API
	// without the API scaling the image down itself.
	MaxSide int `yaml:"max_side" jsonschema:"minimum=1" jsonschema_description:"Maximum length of the longer side of a plot, in pixels. A larger raster plot is scaled down to it, keeping its aspect ratio."`
	// ImageBytes caps one image shown inline in a result.
	ImageBytes int64 `yaml:"image_bytes" unit:"bytes" jsonschema:"minimum=1" jsonschema_description:"Maximum size of one image shown in a result. A larger plot is returned as a link to its resource."`
	// ImagesPerResult caps the images shown inline in one result.
	ImagesPerResult int `yaml:"images_per_result" jsonschema:"minimum=1" jsonschema_description:"Maximum number of images shown in one result. The plots past it are returned as links to their resources."`
	// ResultBytes caps the image bytes shown inline in one result.
	ResultBytes int64 `yaml:"result_bytes" unit:"bytes" jsonschema:"minimum=1" jsonschema_description:"Maximum size of all images shown in one result. The plots that would cross it are returned as links to their resources."`
	// KeptPerConversation caps the plots a conversation keeps for get_plots and links.
	KeptPerConversation int `yaml:"kept_per_conversation" jsonschema:"minimum=1" jsonschema_description:"Maximum number of plots a conversation keeps for get_plots and plot links. The oldest are dropped first."`
	// KeptBytesPerConversation caps the bytes of the plots a conversation keeps.
	KeptBytesPerConversation int64 `yaml:"kept_bytes_per_conversation" unit:"bytes" jsonschema:"minimum=1" jsonschema_description:"Maximum size of the plots a conversation keeps, held in the server's memory. The oldest are dropped first, but the newest plot is always kept."`
	// RunBytes caps the plot files collected from one run, before scaling.
	RunBytes int64 `yaml:"run_bytes" unit:"bytes" jsonschema:"minimum=1" jsonschema_description:"Maximum size of the plot files collected from one run, before scaling. Files past it are left out, and the result says so."`
}

// Runtime configures one language. A nil Enabled, an empty Image and nil override fields
// inherit: the runtime is enabled, runs its built-in image and uses the top-level settings.
type Runtime struct {
	// Enabled turns the runtime off when false. Nil means enabled.
	Enabled *bool `yaml:"enabled,omitempty" jsonschema_description:"Serve this runtime. Default true."`
	// Image replaces the runtime's built-in image when not empty.
	Image string `yaml:"image,omitempty" jsonschema_description:"Image of this runtime's containers. Empty uses the runtime's built-in image."`
	// Pool overrides single keys of the top-level Pool.
	Pool PoolOverride `yaml:"pool,omitempty" jsonschema_description:"Pool keys for this runtime only. A key left out inherits the top-level value."`
	// Sandbox overrides single keys of the top-level Sandbox.
	Sandbox SandboxOverride `yaml:"sandbox,omitempty" jsonschema_description:"Sandbox keys for this runtime only. A key left out inherits the top-level value."`
}

// PoolOverride is a runtime's changes to Pool. Each non-nil field replaces the Pool field of
// the same name.
type PoolOverride struct {
	MinIdle             *int           `yaml:"min_idle,omitempty"`
	MaxSize             *int           `yaml:"max_size,omitempty"`
	AcquireTimeout      *time.Duration `yaml:"acquire_timeout,omitempty"`
	Exhaustion          *Exhaustion    `yaml:"exhaustion,omitempty"`
	MaxLifetime         *time.Duration `yaml:"max_lifetime,omitempty"`
	HealthCheckInterval *time.Duration `yaml:"health_check_interval,omitempty"`
	Prewarm             *bool          `yaml:"prewarm,omitempty"`
}

// SandboxOverride is a runtime's changes to Sandbox. Each non-nil field replaces the Sandbox
// field of the same name.
type SandboxOverride struct {
	MemoryBytes    *int64         `yaml:"memory,omitempty" unit:"bytes"`
	CPUs           *float64       `yaml:"cpus,omitempty"`
	Pids           *int64         `yaml:"pids,omitempty"`
	NoFile         *int64         `yaml:"nofile,omitempty"`
	WorkDirBytes   *int64         `yaml:"workdir_size,omitempty" unit:"bytes"`
	TmpBytes       *int64         `yaml:"tmp_size,omitempty" unit:"bytes"`
	OutputBytes    *int64         `yaml:"output_bytes,omitempty" unit:"bytes"`
	CodeBytes      *int64         `yaml:"code_bytes,omitempty" unit:"bytes"`
	DefaultTimeout *time.Duration `yaml:"default_timeout,omitempty"`
	MaxTimeout     *time.Duration `yaml:"max_timeout,omitempty"`
	OCIRuntime     *string        `yaml:"oci_runtime,omitempty"`
}

// Reaper configures the removal of containers whose server instance is gone.
type Reaper struct {
	// Interval is the time between sweeps of the reaper.
	Interval time.Duration `yaml:"interval" jsonschema_description:"Interval between sweeps that remove containers of server instances that are gone."`
}

// HTTP configures the streamable HTTP transport.
type HTTP struct {
	// SessionIdleTimeout ends an HTTP protocol session, and its conversations, after this
	// long without a request.
	SessionIdleTimeout time.Duration `yaml:"session_idle_timeout" jsonschema_description:"End an HTTP protocol session, and its conversations, after this long without a request."`
}

// Packages configures install_packages.
type Packages struct {
	// Timeout bounds one install, from the installer container's start to the copy into
	// the sandbox.
	Timeout time.Duration `yaml:"timeout" jsonschema_description:"Time limit of one install_packages call."`
	// MaxPackages caps the packages of one call.
	MaxPackages int `yaml:"max_packages" jsonschema:"minimum=1" jsonschema_description:"Maximum number of packages in one install_packages call."`
	// MaxBytes caps the installed files copied into a sandbox by one call.
	MaxBytes int64 `yaml:"max_size" unit:"bytes" jsonschema:"minimum=1" jsonschema_description:"Maximum size of the files one install copies into a sandbox. The sandbox's workdir_size also bounds them."`
	// Network is the network of installer containers: empty for the engine's default
	// network, "host", or a network's name.
	Network string `yaml:"network" jsonschema_description:"Network of the installer containers: empty for the engine's default bridge, host, or the name of a network. Sandboxes never get a network."`
	// Pip configures where pip installs from.
	Pip PipIndex `yaml:"pip" jsonschema_description:"Package index of python."`
	// Npm configures where npm installs from.
	Npm NpmIndex `yaml:"npm" jsonschema_description:"Package registry of javascript."`
}

// PipIndex is the package source of pip. Empty values keep pip's defaults.
type PipIndex struct {
	IndexURL string `yaml:"index_url" jsonschema_description:"Base URL of a PEP 503 simple index, such as a mirror. Empty uses pip's default (PyPI)."`
	// ExtraIndexURLs are separated by spaces, as in pip's PIP_EXTRA_INDEX_URL.
	ExtraIndexURLs string `yaml:"extra_index_urls" jsonschema_description:"More index URLs, separated by spaces."`
	// TrustedHosts are separated by spaces, as in pip's PIP_TRUSTED_HOST.
	TrustedHosts string `yaml:"trusted_hosts" jsonschema_description:"Hosts pip may use without valid HTTPS, separated by spaces."`
}

// NpmIndex is the package source of npm.
type NpmIndex struct {
	Registry string `yaml:"registry" jsonschema_description:"npm registry URL, such as a mirror. Empty uses npm's default."`
}

// Binary size units.
const (
	KiB int64 = 1 << (10 * (iota + 1))
	MiB
	GiB
	TiB
)

// Default returns the configuration used when no file and no environment variable sets a
// key. Its Runtimes map is nil: every runtime is enabled with its built-in image.
func Default() Config {
	return Config{
		Backend: "docker",
		Kubernetes: Kubernetes{
			ImagePullPolicy:     "IfNotPresent",
			CPURequest:          0.025,
			MemoryRequest:       32 * MiB,
			ManageNetworkPolicy: true,
			StartTimeout:        2 * time.Minute,
		},
		Pool: Pool{
			MinIdle:             2,
			MaxSize:             8,
			AcquireTimeout:      30 * time.Second,
			Exhaustion:          ExhaustionWait,
			MaxLifetime:         30 * time.Minute,
			HealthCheckInterval: 30 * time.Second,
			Prewarm:             true,
		},
		Sandbox: Sandbox{
			MemoryBytes:    512 * MiB,
			CPUs:           1,
			Pids:           256,
			NoFile:         1024,
			WorkDirBytes:   256 * MiB,
			TmpBytes:       64 * MiB,
			OutputBytes:    64 * KiB,
			CodeBytes:      256 * KiB,
			DefaultTimeout: 30 * time.Second,
			MaxTimeout:     5 * time.Minute,
		},
		Conversation: Conversation{IdleTimeout: 30 * time.Minute, MaxAge: 8 * time.Hour},
		Reaper:       Reaper{Interval: 60 * time.Second},
		HTTP:         HTTP{SessionIdleTimeout: 30 * time.Minute},
		Packages:     Packages{Timeout: 5 * time.Minute, MaxPackages: 50, MaxBytes: 192 * MiB},
		Plots: Plots{
			Format:                   "png",
			MaxSide:                  1568,
			ImageBytes:               512 * KiB,
			ImagesPerResult:          8,
			ResultBytes:              512 * KiB,
			KeptPerConversation:      100,
			KeptBytesPerConversation: 32 * MiB,
			RunBytes:                 32 * MiB,
		},
	}
}
