"""Run xlwings' own Windows UDF code on Linux: the real decorators, "Import Functions" (VBA
generation and MacroOptions) and the real call path (com_server.CallUDF -> udfs.call_udf ->
conversion with the Windows engine). Only pywin32 and the COM objects Excel would pass are
stood in for. Written after the study harness in shared/reference/xlwings_linux/.

What this cannot show: COM marshalling itself, Excel's recalculation, whether the VBA compiles.
"""

from __future__ import annotations

import ctypes
import importlib
import sys
import types
from typing import Any

# pywin32 hands an omitted Optional argument over as this integer.
MISSING = -2147352572
_RANGE_IID = "{00020846-0000-0000-C000-000000000046}"
_PYWIN32_MODULES = (
    "pythoncom", "pywintypes", "win32api", "win32con", "win32gui", "win32process",
    "win32timezone", "win32event", "win32com", "win32com.client", "win32com.client.gencache",
    "win32com.client.dynamic", "win32com.server", "win32com.server.util",
    "win32com.server.policy", "win32com.server.dispatcher", "win32com.server.exception",
)


class _Inert:
    """Callable, attribute-rich, subclassable placeholder for any pywin32 object."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> _Inert:
        return _Inert()

    def __getattr__(self, name: str) -> _Inert:
        return _Inert()

    def __getitem__(self, key: Any) -> _Inert:
        return _Inert()

    def __iter__(self) -> Any:
        return iter(())

    def __bool__(self) -> bool:
        return False


class _InertModule(types.ModuleType):
    def __getattr__(self, name: str) -> type:
        if name.startswith("__"):
            raise AttributeError(name)
        placeholder = type(name, (_Inert,), {})
        setattr(self, name, placeholder)
        return placeholder


def _install_pywin32_stand_ins() -> None:
    for name in _PYWIN32_MODULES:
        sys.modules.setdefault(name, _InertModule(name))
    win32com, server = sys.modules["win32com"], sys.modules["win32com.server"]
    win32com.client = sys.modules["win32com.client"]  # type: ignore[attr-defined]
    win32com.server = server  # type: ignore[attr-defined]
    for sub in ("util", "policy", "dispatcher", "exception"):
        setattr(server, sub, sys.modules[f"win32com.server.{sub}"])
    pythoncom = sys.modules["pythoncom"]
    pythoncom.TypeIIDs = {"IID_IDispatch": type("PyIDispatch", (), {})}  # type: ignore[attr-defined]
    pythoncom.IID_IDispatch = "IID_IDispatch"  # type: ignore[attr-defined]
    pythoncom.__file__ = "pythoncom-stand-in"
    pywintypes = sys.modules["pywintypes"]
    pywintypes.IID = lambda s: s  # type: ignore[attr-defined]
    pywintypes.com_error = type("com_error", (Exception,), {})  # type: ignore[attr-defined]

    def not_wrapped(_: Any) -> Any:
        raise TypeError("not a wrapped python object")

    sys.modules["win32com.server.util"].unwrap = not_wrapped  # type: ignore[attr-defined]
    for attr in ("windll", "oledll"):
        if not hasattr(ctypes, attr):
            setattr(ctypes, attr, _Inert())
    real_pydll = ctypes.PyDLL
    ctypes.PyDLL = _Inert  # type: ignore[misc,assignment]  # _xlwindows loads pythoncom's DLL
    try:
        import xlwings._xlwindows
        import xlwings.com_server
        import xlwings.udfs  # noqa: F401
    finally:
        ctypes.PyDLL = real_pydll  # type: ignore[misc]


_install_pywin32_stand_ins()

import xlwings  # noqa: E402
import xlwings.com_server as com_server  # noqa: E402
import xlwings.udfs as xlwings_udfs  # noqa: E402
from xlwings import _xlwindows  # noqa: E402
from xlwings.main import Engine  # noqa: E402

# Excel error cells as pywin32 delivers them (an int code per error).
XL_ERRORS = {text: code for code, text in _xlwindows.cell_errors.items()}

# On Linux xw.func & co. are no-ops; bind the Windows decorators before the module is imported.
xlwings.func, xlwings.arg, xlwings.ret = xlwings_udfs.xlfunc, xlwings_udfs.xlarg, xlwings_udfs.xlret
try:
    xlwings.engines["excel"]
except Exception:
    xlwings.engines.add(Engine(impl=_xlwindows.engine))


def load_udf_module(name: str) -> types.ModuleType:
    """Import (or re-import) a UDF module so that the real decorators run on it."""
    xlwings_udfs.udf_modules.pop(name, None)
    if name in sys.modules:
        for function in vars(sys.modules["xlmargin.excel.functions"]).values():
            if hasattr(function, "__xlfunc__"):
                del function.__xlfunc__
        # xlmargin.udfs re-exports xlmargin.excel.udfs: the decorators run in the latter.
        if "xlmargin.excel.udfs" in sys.modules:
            importlib.reload(sys.modules["xlmargin.excel.udfs"])
        return importlib.reload(sys.modules[name])
    return importlib.import_module(name)


class _OleTypeInfo:
    class _Attr:
        iid = _RANGE_IID

    def GetTypeAttr(self) -> _Attr:
        return self._Attr()


class _Ole:
    def GetTypeInfo(self) -> _OleTypeInfo:
        return _OleTypeInfo()


class ExcelRange:
    """What VBA passes for a cell reference: a COM Range whose .Value xlwings reads."""

    def __init__(self, rows: list[list[Any]]) -> None:
        self._rows = [list(r) for r in rows]
        self._oleobj_ = _Ole()
        self.Row, self.Column = 1, 1
        self.Rows = types.SimpleNamespace(Count=len(self._rows))
        self.Columns = types.SimpleNamespace(Count=len(self._rows[0]))
        app = types.SimpleNamespace(Hwnd=0)
        self.Worksheet = types.SimpleNamespace(Parent=types.SimpleNamespace(Application=app))

    @property
    def Value(self) -> Any:
        if len(self._rows) == 1 and len(self._rows[0]) == 1:
            return self._rows[0][0]
        return tuple(tuple(r) for r in self._rows)


def call_like_excel(module: str, function: str, *args: Any) -> Any:
    """What runs after VBA's XLPy.CallUDF(module, function, Array(args...)): returns what the
    cell (or spill range) would show."""
    return com_server.XLPython().CallUDF(module, function, tuple(args), None, None)


class _Application:
    Version = "16.0"

    def __init__(self) -> None:
        self.macro_options: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def MacroOptions(self, *args: Any, **kwargs: Any) -> None:
        self.macro_options.append((args, kwargs))


class _VBComponents:
    def __init__(self) -> None:
        self.imported: str | None = None

    def __call__(self, name: str) -> str:
        return name

    def Remove(self, component: Any) -> None:
        raise sys.modules["pywintypes"].com_error("no such component")

    def Import(self, path: str) -> None:
        with open(path, encoding="utf-8") as f:
            self.imported = f.read()


class _Workbook:
    def __init__(self, name: str) -> None:
        self.Name = name
        self.Application = _Application()
        self.VBProject = types.SimpleNamespace(VBComponents=_VBComponents())


def import_functions(module: str, book: str = "agency.xlsm") -> tuple[str, list[Any]]:
    """Press "Import Functions": xlwings.udfs.import_udfs against a stand-in workbook.
    Returns the VBA module text and the Application.MacroOptions calls."""
    load_udf_module(module)
    workbook = _Workbook(book)
    xlwings_udfs.import_udfs(module, workbook)
    assert workbook.VBProject.VBComponents.imported is not None
    return workbook.VBProject.VBComponents.imported, workbook.Application.macro_options
