"""An import hook that patches matplotlib as soon as its modules are loaded.

A program that selects another backend, as with matplotlib.use("Agg"), bypasses the
sandbox-mcp backend. The hook still gets its figures: it wraps Figure.savefig so that
saved images are collected, pyplot.show so that open figures are saved, and registers the
save of unsaved figures at exit.
"""
import sys

from _sandbox_mcp import capture


def _on_figure(module):
    capture.patch_figure(module.Figure)


def _on_pyplot(module):
    capture.patch_pyplot(module)
    capture.register_exit()


# Modules still to patch, by name, with the function that patches each.
_pending = {"matplotlib.figure": _on_figure, "matplotlib.pyplot": _on_pyplot}


class _Finder:
    """A meta path finder that finds nothing itself. For a module in _pending, it gets the
    spec from the other finders and makes its loader call the patch after executing it."""

    def find_spec(self, name, path=None, target=None):
        patch = _pending.get(name)
        if patch is None:
            return None
        spec = _find_spec_elsewhere(self, name, path, target)
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            _patch_after_exec(spec.loader, name, patch)
        return spec


def _find_spec_elsewhere(finder, name, path, target):
    for other in sys.meta_path:
        find_spec = getattr(other, "find_spec", None)
        if other is finder or find_spec is None:
            continue
        spec = find_spec(name, path, target)
        if spec is not None:
            return spec
    return None


def _patch_after_exec(loader, name, patch):
    # A path-based loader serves one module, so shadowing its method affects only this one.
    exec_module = loader.exec_module

    def exec_then_patch(module):
        exec_module(module)
        if _pending.pop(name, None) is None:
            return
        try:
            patch(module)
        except Exception as exc:
            capture.record_error("patching " + name, exc)

    loader.exec_module = exec_then_patch


def install():
    """Put the finder first on sys.meta_path, once."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
