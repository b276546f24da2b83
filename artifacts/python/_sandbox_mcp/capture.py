"""Saving matplotlib figures into the run's artifact directory.

The server sets SANDBOX_MCP_ARTIFACTS to a directory of the run and collects the files in
it after the run; without it, nothing here writes anything. SANDBOX_MCP_PLOT_FORMAT is png
(the default) or svg.

A figure is saved when pyplot.show() runs, when Figure.show() runs, and when the program
exits while the figure is still open, unless its current state is already collected or it
is empty. An image written with Figure.savefig to a file is also copied into the
directory, which counts as collecting the figure. A figure counts as changed when one of
its artists is marked stale after it was collected, outside drawing and saving.

File names sort in the order the figures were created, also across processes that share
the directory: the figure's creation time in nanoseconds, the process ID, a counter of the
process, then the number of the figure's save. Files are written under a name starting
with a dot and renamed when complete, so a run killed midway leaves no partial image under
a plot's name.

Nothing here writes to stdout or stderr. A failure is appended to ERRORS_FILE in the
directory, which the server reports with the run's result.
"""
import atexit
import functools
import itertools
import os
import shutil
import sys
import time

DIRECTORY = os.environ.get("SANDBOX_MCP_ARTIFACTS", "")
FORMAT = "svg" if os.environ.get("SANDBOX_MCP_PLOT_FORMAT", "").lower() == "svg" else "png"
ERRORS_FILE = "capture-errors.txt"

# Formats of files written by savefig that are collected as images.
IMAGE_FORMATS = frozenset(["png", "jpg", "jpeg", "gif", "webp", "tif", "tiff", "svg"])

_counter = itertools.count(1)
_original_savefig = None
_exit_registered = False


def _key(fig):
    """Return the name prefix of fig, made when fig is first seen."""
    key = fig.__dict__.get("_sandbox_mcp_key")
    if key is None:
        key = "%020d-%07d-%06d" % (time.time_ns(), os.getpid(), next(_counter))
        fig.__dict__["_sandbox_mcp_key"] = key
    return key


def _changes(fig):
    return fig.__dict__.get("_sandbox_mcp_changes", 0)


def _mark_collected(fig):
    fig.__dict__["_sandbox_mcp_collected"] = _changes(fig)


def _is_collected(fig):
    return fig.__dict__.get("_sandbox_mcp_collected") == _changes(fig)


def _destination(fig, extension):
    """Return the temporary and the final path of fig's next file."""
    saves = fig.__dict__.get("_sandbox_mcp_saves", 0) + 1
    fig.__dict__["_sandbox_mcp_saves"] = saves
    name = "%s-%04d.%s" % (_key(fig), saves, extension)
    os.makedirs(DIRECTORY, exist_ok=True)
    return os.path.join(DIRECTORY, "." + name), os.path.join(DIRECTORY, name)


def record_error(action, exc):
    """Append a failure to ERRORS_FILE. It catches every Exception, so a failed capture
    never stops the user's program."""
    try:
        os.makedirs(DIRECTORY, exist_ok=True)
        with open(os.path.join(DIRECTORY, ERRORS_FILE), "a", encoding="utf-8") as f:
            f.write("%s: %s: %s\n" % (action, type(exc).__name__, exc))
    except Exception:
        pass


def save_figure(fig):
    """Save fig in FORMAT into the artifact directory."""
    if not DIRECTORY:
        return
    try:
        savefig = _original_savefig or type(fig).savefig
        temporary, final = _destination(fig, FORMAT)
        savefig(fig, temporary, format=FORMAT)
        os.replace(temporary, final)
        _mark_collected(fig)
    except Exception as exc:
        record_error("saving a figure", exc)


def save_if_new(fig):
    """Save fig unless its current state is collected or it is empty: a figure whose only
    child is its background patch shows nothing."""
    if not _is_collected(fig) and len(fig.get_children()) > 1:
        save_figure(fig)


def save_open_figures():
    """Save each open pyplot figure whose current state is not collected, oldest first."""
    helpers = sys.modules.get("matplotlib._pylab_helpers")
    if helpers is None or not DIRECTORY:
        return
    figures = [manager.canvas.figure for manager in helpers.Gcf.get_all_fig_managers()]
    for fig in sorted(figures, key=_key):
        save_if_new(fig)


def _saved_file(fname, fmt):
    """Return the path and format of the file that savefig(fname, format=fmt) wrote, or
    (None, None) when it wrote no file or no image format that is collected."""
    try:
        path = os.fspath(fname)
    except TypeError:
        return None, None  # a file object
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    extension = os.path.splitext(path)[1][1:]
    if not fmt and not extension:
        # savefig appends the default format's extension to a name without one.
        import matplotlib

        fmt = matplotlib.rcParams["savefig.format"]
        path = path.rstrip(".") + "." + fmt
    fmt = (fmt or extension).lower()
    if fmt not in IMAGE_FORMATS or not os.path.isfile(path):
        return None, None
    return path, fmt


def _collect_saved(fig, fname, fmt):
    if not DIRECTORY:
        return
    try:
        path, fmt = _saved_file(fname, fmt)
        if path is None:
            return
        temporary, final = _destination(fig, fmt)
        shutil.copyfile(path, temporary)
        os.replace(temporary, final)
        _mark_collected(fig)
    except Exception as exc:
        record_error("collecting a saved figure", exc)


def _quiet(method):
    """Wrap a Figure method so that the artists it marks stale do not count as changes.
    Drawing and saving mark artists stale without changing what the figure shows."""

    @functools.wraps(method)
    def quiet(self, *args, **kwargs):
        self.__dict__["_sandbox_mcp_quiet"] = self.__dict__.get("_sandbox_mcp_quiet", 0) + 1
        try:
            return method(self, *args, **kwargs)
        finally:
            self.__dict__["_sandbox_mcp_quiet"] -= 1

    return quiet


def patch_figure(figure_class):
    """Make figure_class name its figures at creation, count their changes, and collect
    the image files its savefig writes. Patching twice does nothing."""
    global _original_savefig
    if figure_class.__dict__.get("_sandbox_mcp_patched"):
        return
    original_init = figure_class.__init__
    original_savefig = figure_class.savefig
    stale = figure_class.stale

    @functools.wraps(original_init)
    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        _key(self)

    @functools.wraps(original_savefig)
    def savefig(self, fname, *args, **kwargs):
        result = quiet_savefig(self, fname, *args, **kwargs)
        _collect_saved(self, fname, kwargs.get("format"))
        return result

    def set_stale(self, value):
        if value and not self.__dict__.get("_sandbox_mcp_quiet"):
            self.__dict__["_sandbox_mcp_changes"] = _changes(self) + 1
        stale.fset(self, value)

    quiet_savefig = _quiet(original_savefig)
    _original_savefig = quiet_savefig
    figure_class.__init__ = __init__
    figure_class.savefig = savefig
    figure_class.draw = _quiet(figure_class.draw)
    figure_class.stale = property(stale.fget, set_stale, doc=stale.__doc__)
    figure_class._sandbox_mcp_patched = True


def patch_pyplot(pyplot):
    """Make pyplot.show save the open figures first, whatever the backend."""
    original_show = pyplot.show

    @functools.wraps(original_show)
    def show(*args, **kwargs):
        save_open_figures()
        return original_show(*args, **kwargs)

    pyplot.show = show


def register_exit():
    """Save the open figures at exit. Call it after matplotlib._pylab_helpers is imported:
    exit handlers run in reverse order of registration, so this one then runs before
    matplotlib's own handler closes every figure."""
    global _exit_registered
    if DIRECTORY and not _exit_registered:
        atexit.register(save_open_figures)
        _exit_registered = True
