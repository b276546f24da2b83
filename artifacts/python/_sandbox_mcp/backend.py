"""The matplotlib backend of sandbox-mcp, selected with MPLBACKEND=module://_sandbox_mcp.backend.

It renders with Agg. pyplot.show() saves every open figure that is not saved yet into the
run's artifact directory and then closes the figures, as a window closed by its user would.
Figure.show() saves that one figure. Figures still open when the program exits are saved
too (see capture).
"""
from matplotlib.backend_bases import FigureManagerBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from _sandbox_mcp import capture

capture.patch_figure(Figure)
capture.register_exit()


class FigureManagerSandbox(FigureManagerBase):
    def show(self):
        capture.save_if_new(self.canvas.figure)


class FigureCanvasSandbox(FigureCanvasAgg):
    manager_class = FigureManagerSandbox


FigureCanvas = FigureCanvasSandbox
FigureManager = FigureManagerSandbox


def show(*args, **kwargs):
    from matplotlib import pyplot

    capture.save_open_figures()
    pyplot.close("all")
