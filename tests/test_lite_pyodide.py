"""xlmargin in xlwings Lite: installed by micropip and called the way Lite calls it, in Pyodide.

One Node run (module fixture ``lite``) starts Pyodide offline, installs xlmargin with micropip
from a package index on 127.0.0.1 using exactly the lines of ``requirements_txt()`` (and those
of a generated Lite workbook), loads ``main_py()`` (and the workbook's main.py) as Lite loads
its ``main``, and answers every call below through ``xlwings.server.custom_functions_call``.
The same payload runs in a fresh CPython with XLWINGS_ON_SERVER=true (numpy installed), and
each Pyodide answer must equal CPython's, float for float. Expected numbers are derived by hand
or read from the README's function table.
"""

from __future__ import annotations

import ast
import inspect
import json
import random
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_type_hints

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from pyodide_env import (
    HARNESS,
    PAYLOAD,
    ROOT,
    WHEELS_TXT,
    LocalIndex,
    emscripten_wheels,
    require_node,
    requirement_lines,
    run_cpython,
    run_pyodide,
    xlmargin_wheel,
)

import xlmargin
from xlmargin.excel.functions import EXCEL_FUNCTIONS
from xlmargin.excel.lite import XLWINGS_VERSION, main_py, requirements_txt

# k = interactions x days x context x (1 + retries) x power users, the article's defaults.
K = 100 * 30 * 2.5 * 1.05 * 1.15
GPT4O = ((350 + 1000) * K * 2.50 + 250 * K * 10.00) / 1e6  # gpt-4o at $2.50 / $10 per 1M
SONNET = ((350 + 1000) * K * 3.00 + 250 * K * 15.00) / 1e6  # Claude 3.5 Sonnet at $3 / $15
HAND = {  # the README's examples, worked out from the formulas and the article's constants
    "API_COST": GPT4O,
    "FT_COST": (3 * 14.50 + 80 + 10) + 5 * 15,  # 208.5
    "CROSSOVER": 4,  # first n with 133.5 + 5n < 40n: n > 3.81
    "MARGIN": (1500 - 180) / 1500,  # 0.88
    "PRICE_FOR_MARGIN": 180 / (1 - 0.88),  # 1500
    "MODEL_PRICE": 15.0,  # Claude 3.5 Sonnet's output price
    "USE_CASE_TOKENS": 400.0,  # document_qa's output tokens, the article's table
    # ceil((5,832,000,000 / 4500 + 1 / 1000) s / (30 x 86400 s x 0.5)) = ceil(1.0000000008)
    "GPU_SERVERS": 2,
}
NA = {"type": "Error", "errorType": "NotAvailable", "basicValue": "#N/A"}  # an Excel #N/A cell
COLUMN_ROWS = 100_000
COLUMN_MODELS = ("gpt-4o", "gpt-4o-mini", "Claude 3.5 Sonnet", "claude-3-5-haiku",
                 "gemini-2.5-flash")


def office_args(name: str, *args: Any) -> list[Any]:
    """Arguments as Office.js sends them: a cell as [[value]], a range as rows, an omitted
    optional argument as null."""
    count = len(inspect.signature(EXCEL_FUNCTIONS[name]).parameters)
    shaped = [a if isinstance(a, list) else [[a]] for a in args]
    return shaped + [None] * (count - len(shaped))


def readme_examples() -> list[tuple[str, tuple[Any, ...], str]]:
    """(function, arguments, shown result) for each row of the README's function table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `[A-Z_]+\(.*?\)` \| `=(.+?)` \| (.+?) \|$", text, re.MULTILINE)
    examples = []
    for formula, shown in rows:
        call = ast.parse(formula, mode="eval").body
        assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
        examples.append((call.func.id, tuple(ast.literal_eval(a) for a in call.args), shown))
    return examples


def column_args() -> list[Any]:
    """A 100,000-client API_COST column: five models, varied tokens and traffic, some cells
    typed as whole numbers and some as floats, as a worksheet holds them."""
    rng = random.Random(20261202)
    rows = [(rng.choice(COLUMN_MODELS), rng.randint(50, 2000), float(rng.randint(20, 1500)),
             rng.choice((rng.randint(1, 500), rng.uniform(1, 500))))
            for _ in range(COLUMN_ROWS)]
    return office_args("API_COST", *([[row[i]] for row in rows] for i in range(4)))


CALLS: dict[str, tuple[str, list[Any]]] = {
    **{f"readme {name}": (name, office_args(name, *args))
       for name, args, _ in readme_examples()},
    "unknown model": ("API_COST", office_args("API_COST", "gpt4o", 350, 250, 100)),
    "negative tokens": ("API_COST", office_args("API_COST", "gpt-4o", -1, 250, 100)),
    "#N/A cell": ("API_COST", office_args("API_COST", "gpt-4o", 350, NA, 100)),
    "revenue 0": ("MARGIN", office_args("MARGIN", 0, 180)),
    "never crosses": ("CROSSOVER", office_args("CROSSOVER", 4)),
    "blank row (null)": ("API_COST", office_args("API_COST", None, None, None, None)),
    "blank row (empty text)": ("API_COST", office_args("API_COST", "", "", "", "")),
    "blank FT_COST": ("FT_COST", office_args("FT_COST", None)),
    "clients": ("API_COST", office_args(
        "API_COST", [["gpt-4o"], ["Claude 3.5 Sonnet"], [None], ["gpt-4o-mini"], ["nope"]],
        [[350], [350], [None], [800], [350]], [[250], [250], [None], [400], [250]],
        [[100], [100], [None], [300.5], [100]])),
    "FT_COST range": ("FT_COST", office_args("FT_COST", [[1], [15], [None]])),
    "typed prices": ("API_COST", office_args("API_COST", "our-llama-ft", 350, 250, 100,
                                             None, None, None, None, None, 1, 2)),
    "column": ("API_COST", column_args()),
}
# What a workbook's main.py is put through (the column is proven once, with main_py()).
WORKBOOK_CALLS = [label for label in CALLS if label != "column"]


def program(label: str, text: str, calls: list[str]) -> dict[str, Any]:
    return {"label": label, "main_py": text,
            "calls": [{"func": CALLS[c][0], "args": CALLS[c][1]} for c in calls]}


@dataclass
class Lite:
    """What the one Node run and its CPython reference found."""

    pyodide: dict[str, Any]
    cpython: dict[str, Any]
    served: list[tuple[str, int]]
    workbook: Any  # the workbook's LiteCode, or why there is none

    def run(self) -> dict[str, Any]:
        if "error" in self.pyodide:
            pytest.fail(f"Pyodide run failed: {self.pyodide['error']}\n"
                        f"{self.pyodide['stderr'][-2000:]}", pytrace=False)
        return self.pyodide["run"]

    def answers(self, side: dict[str, Any], label: str) -> dict[str, Any]:
        got = side["programs"][label]["answers"]
        names = list(CALLS) if label == "main_py()" else WORKBOOK_CALLS
        return dict(zip(names, got, strict=True))


def workbook_code(folder: Path) -> Any:
    """main.py and requirements.txt taken out of a workbook `xlmargin new --formulas lite`
    writes, or a text saying why they could not be."""
    try:
        from xlmargin.sheets.files import write_agency_workbook
        from xlmargin.sheets.lite_parts import read_lite_code
    except ImportError as error:
        return (f"the Lite workbook's writer or reader is not in the tree yet ({error}): "
                "expected xlmargin.sheets.files.write_agency_workbook(..., mode='lite') and "
                "xlmargin.sheets.lite_parts.read_lite_code(path) -> LiteCode | None")
    path, _ = write_agency_workbook("Acme AI", mode="lite", output=folder / "acme-ai.xlsx",
                                    force=True)
    code = read_lite_code(path)
    if code is None:
        return f"read_lite_code found no xlwings Lite code in {Path(path).name}"
    return code


@pytest.fixture(scope="module")
def lite(tmp_path_factory: pytest.TempPathFactory) -> Lite:
    node = require_node()
    wheels = [w for w in emscripten_wheels().glob("*.whl") if not w.name.startswith("micropip-")]
    workbook = workbook_code(tmp_path_factory.mktemp("workbook"))
    programs = [program("main_py()", main_py(), list(CALLS))]
    installs = [{"label": "requirements_txt()",
                 "lines": requirement_lines(requirements_txt())}]
    if not isinstance(workbook, str):
        programs.append(program("workbook", workbook.main_py, WORKBOOK_CALLS))
        installs.append({"label": "workbook",
                         "lines": requirement_lines(workbook.requirements_txt)})
    job = {"programs": programs}
    index = LocalIndex([*wheels, xlmargin_wheel(tmp_path_factory.mktemp("wheel"))])
    with index.serving():
        pyodide = run_pyodide(node, index_url=index.url, installs=installs, module=PAYLOAD,
                              module_input=job)
    return Lite(pyodide, run_cpython(job), index.served, workbook)


# --- The texts themselves (CPython) -----------------------------------------------------------


def test_requirements_are_lites_required_lines_then_xlmargin() -> None:
    assert requirements_txt().splitlines() == [
        "xlwings==0.37.8  # required", "python-dotenv==1.1.1  # required",
        "pyodide-http  # required", "black  # required", f"xlmargin=={xlmargin.__version__}"]


def test_the_xlwings_lite_asks_for_is_the_one_the_project_pins() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [Requirement(d) for d in pyproject["project"]["dependencies"]]
    (pin,) = [r for r in pins if r.name == "xlwings"]
    assert str(pin.specifier) == f"=={XLWINGS_VERSION}"


def test_the_served_wheels_are_resolved_from_what_lite_and_xlmargin_need() -> None:
    """wheels.in (what wheels.txt is resolved from) names Lite's lines and xlmargin's own
    dependencies on emscripten, so a new dependency cannot go untested under Pyodide."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    emscripten = {"sys_platform": "emscripten", "platform_system": "Emscripten",
                  "platform_machine": "wasm32", "python_version": "3.14"}
    deps = [Requirement(d) for d in pyproject["project"]["dependencies"]]
    wanted = {str(Requirement(line)) for line in requirement_lines(requirements_txt())
              if Requirement(line).name != "xlmargin"}
    wanted |= {str(Requirement(f"{d.name}{d.specifier}")) for d in deps
               if d.marker is None or Marker(str(d.marker)).evaluate(emscripten)}
    wanted.add("micropip==0.11.1")
    listed = {str(Requirement(line)) for line in
              requirement_lines((HARNESS / "wheels.in").read_text(encoding="utf-8"))}
    assert listed == wanted


def test_main_py_registers_every_excel_function_and_compiles() -> None:
    text = main_py()
    compile(text, "main.py", "exec")
    tree = ast.parse(text)
    registered = [node.targets[0].id for node in tree.body if isinstance(node, ast.Assign)
                  and isinstance(node.value, ast.Call) and node.value.func.id == "func"]
    assert registered == list(EXCEL_FUNCTIONS)
    assert "XLMARGIN_PRICES" in text and "Pricing sheet" in text


# --- (a) micropip installs xlmargin from requirements.txt alone --------------------------------


def pins(path: Path) -> dict[str, str]:
    """name -> version of wheels.txt (each line carries a --hash option after its pin)."""
    lines = requirement_lines(path.read_text(encoding="utf-8"))
    pinned = [Requirement(line.split(" --hash")[0]) for line in lines]
    return {canonicalize_name(r.name): str(r.specifier).removeprefix("==") for r in pinned}


def test_micropip_installs_xlmargin_from_the_requirements_lines_alone(lite: Lite) -> None:
    lite.run()
    (install, *_) = lite.pyodide["installs"]
    installed = {canonicalize_name(n): p for n, p in install["packages"].items()}
    expected = {**pins(WHEELS_TXT), "xlmargin": xlmargin.__version__}
    assert {n: p["version"] for n, p in installed.items()} == expected
    # micropip itself came from its local wheel; every other package from the local index:
    # Pyodide's lock was empty, so there was no other source to take one from.
    assert installed.pop("micropip")["source"].endswith(".whl")
    fetched = {canonicalize_name(path.split("/")[2].split("-")[0])
               for path, code in lite.served if path.startswith("/files/") and code == 200}
    assert fetched == set(installed)
    assert all(p["source"] == "pypi" for p in installed.values())  # micropip's name for an index
    assert "numpy" not in installed and "pyarrow" not in installed


def test_under_pyodide_there_is_no_numpy_and_the_column_did_without(lite: Lite) -> None:
    run = lite.run()
    pinned = json.loads((HARNESS / "package.json").read_text())["dependencies"]["pyodide"]
    assert lite.pyodide["pyodide"] == pinned
    assert (run["platform"], run["python"][:4]) == ("emscripten", "3.14")
    assert run["importable"] == [] and run["imported"] == []
    assert "numpy" in lite.cpython["imported"]  # the reference took the numpy path


# --- (b) main.py as Lite runs it ----------------------------------------------------------------


def argument_docs(function: Any) -> list[tuple[str, str, bool]]:
    """(name, Annotated doc, optional) per argument, read from the function in CPython."""
    hints = get_type_hints(function, include_extras=True)
    return [(name, get_args(hints[name])[1]["doc"],
             parameter.default is not inspect.Parameter.empty)
            for name, parameter in inspect.signature(function).parameters.items()]


def test_lite_registers_every_function_with_its_argument_docs(lite: Lite) -> None:
    run = lite.run()
    assert run["xlwings"] == XLWINGS_VERSION
    assert run["func"] == "xlwings.pro.udfs_officejs.xlfunc"  # Lite's func, not classic's
    meta = {f["id"]: f for f in run["programs"]["main_py()"]["meta"]["functions"]}
    assert sorted(meta) == sorted(EXCEL_FUNCTIONS)
    for name, function in EXCEL_FUNCTIONS.items():
        assert meta[name]["name"] == name
        assert meta[name]["description"] == inspect.getdoc(function)
        assert [(p["name"], p["description"], p.get("optional", False))
                for p in meta[name]["parameters"]] == argument_docs(function)
    assert run["programs"]["main_py()"]["meta"] == lite.cpython["programs"]["main_py()"]["meta"]


def test_black_leaves_main_py_as_it_is(lite: Lite) -> None:
    assert lite.run()["programs"]["main_py()"]["black_keeps"] is True


def value(answer: dict[str, Any]) -> Any:
    assert "value" in answer, answer.get("raised")
    return answer["value"]


def test_the_readme_examples_answer_as_derived_by_hand(lite: Lite) -> None:
    got = lite.answers(lite.run(), "main_py()")
    assert sorted(name for name, _, _ in readme_examples()) == sorted(EXCEL_FUNCTIONS)
    for name, _, shown in readme_examples():
        (cell,) = value(got[f"readme {name}"])
        assert cell == [pytest.approx(HAND[name], rel=1e-12)], name
        decimals = len(shown.partition(".")[2])
        assert f"{cell[0]:.{decimals}f}" == shown, name  # what the README shows, rounded


@pytest.mark.parametrize(("label", "message"), [
    ("unknown model", "#model: unknown model 'gpt4o'; did you mean gpt-4o"),
    ("negative tokens", "#input_tokens: must be at least 0, got -1"),
    ("#N/A cell", "#output_tokens: expected a number, got '#N/A'"),
    ("revenue 0", "#revenue: must be greater than 0, got 0"),
    ("never crosses", "#api_cost_per_client: never: API cost per client is not above"),
])
def test_bad_input_answers_a_message(lite: Lite, label: str, message: str) -> None:
    [[cell]] = value(lite.answers(lite.run(), "main_py()")[label])
    assert isinstance(cell, str) and cell.startswith(message)


def test_blanks_answer_empty_cells(lite: Lite) -> None:
    got = lite.answers(lite.run(), "main_py()")
    # Office.js sends an empty cell as null or as "": either way an all-blank API_COST row is
    # a client not typed yet.
    for label in ("blank row (null)", "blank row (empty text)"):
        assert value(got[label]) == [[""]], label
    # The other functions have no such row: a blank required argument is named.
    assert value(got["blank FT_COST"]) == [["#clients: expected a number, got blank"]]


def test_a_range_of_clients_answers_a_column_with_the_blank_row_empty(lite: Lite) -> None:
    got = lite.answers(lite.run(), "main_py()")
    gpt4o, sonnet, blank, mini, bad = value(got["clients"])
    assert gpt4o == [pytest.approx(GPT4O, rel=1e-12)]
    assert sonnet == [pytest.approx(SONNET, rel=1e-12)]
    assert blank == [""]
    # gpt-4o-mini at $0.15 / $0.60: document_qa's tokens, 300.5 interactions a day
    k = 300.5 * 30 * 2.5 * 1.05 * 1.15
    assert mini == [pytest.approx(((800 + 1000) * k * 0.15 + 400 * k * 0.60) / 1e6, rel=1e-12)]
    assert bad[0].startswith("#model: unknown model 'nope'")
    assert value(got["FT_COST range"]) == [[133.5 + 5], [133.5 + 5 * 15],
                                           ["#clients: expected a number, got blank"]]
    assert value(got["typed prices"]) == [[pytest.approx((1350 * K * 1 + 250 * K * 2) / 1e6)]]


def test_a_100000_row_column_answers_without_numpy(lite: Lite) -> None:
    column = value(lite.answers(lite.run(), "main_py()")["column"])
    assert len(column) == COLUMN_ROWS
    assert all(isinstance(cost, float) and cost > 0 for (cost,) in column)


def test_every_answer_equals_cpythons_float_for_float(lite: Lite) -> None:
    pyodide = lite.answers(lite.run(), "main_py()")
    cpython = lite.answers(lite.cpython, "main_py()")
    for label in CALLS:
        assert pyodide[label] == cpython[label], label


# --- The code a generated Lite workbook carries -------------------------------------------------


def test_a_generated_lite_workbooks_code_installs_and_answers_under_pyodide(lite: Lite) -> None:
    if isinstance(lite.workbook, str):
        pytest.fail(lite.workbook, pytrace=False)
    assert lite.workbook.main_py == main_py()
    assert lite.workbook.requirements_txt == requirements_txt()
    run = lite.run()
    installs = {i["label"]: i["packages"] for i in lite.pyodide["installs"]}
    assert installs["workbook"]["xlmargin"]["version"] == xlmargin.__version__
    mine = run["programs"]["workbook"]
    assert mine["meta"] == run["programs"]["main_py()"]["meta"]
    assert lite.answers(run, "workbook") == lite.answers(lite.cpython, "workbook")
    (cost,) = value(lite.answers(run, "workbook")["readme API_COST"])
    assert cost == [pytest.approx(GPT4O, rel=1e-12)]
