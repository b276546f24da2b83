"""Start-up hook that sandbox-mcp puts first on PYTHONPATH.

When the run has an artifact directory (SANDBOX_MCP_ARTIFACTS), it installs the import hook
that patches matplotlib for plot capture. Then it runs the sitecustomize module it hides,
such as Debian's /etc/python3.11/sitecustomize.py, so the image's own start-up code still
runs. It prints nothing.
"""
import os
import sys


def _install_plot_capture():
    if not os.environ.get("SANDBOX_MCP_ARTIFACTS"):
        return
    try:
        from _sandbox_mcp import hook
    except Exception:  # capture is optional; the user's program must run regardless
        return
    hook.install()


def _run_hidden_sitecustomize():
    support_dir = os.path.dirname(os.path.abspath(__file__))
    for entry in sys.path:
        directory = os.path.abspath(entry or os.curdir)
        candidate = os.path.join(directory, "sitecustomize.py")
        if directory != support_dir and os.path.isfile(candidate):
            break
    else:
        return
    import importlib.util

    spec = importlib.util.spec_from_file_location("sitecustomize", candidate)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


_install_plot_capture()
_run_hidden_sitecustomize()
