package docker

import "errors"

// ErrBuildFailed is returned by BuildImage when the engine reports that a build step failed,
// such as a RUN command that exited non-zero or a COPY of a missing file. The error carries
// the engine's message.
var ErrBuildFailed = errors.New("image build failed")
