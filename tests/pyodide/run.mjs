// node run.mjs JOB.json — one offline Pyodide session for the tests (tests/pyodide_env.py).
//
// Starts Pyodide from the npm package with an EMPTY lock file, so it knows no package of its
// CDN and fetches nothing from outside; loads micropip from a local wheel; installs each
// requirements list of the job with micropip from the loopback index only (as a Lite
// workbook's requirements.txt is installed from PyPI); then imports the Python module
// job.module from job.module_dir and awaits its run(job.input). Writes one JSON document
// to job.output: timings, the installs, and what run() returned (or the error).
import { readFileSync, writeFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const job = JSON.parse(readFileSync(process.argv[2], "utf8"));
const result = { timings_ms: {} };
const clock = () => performance.now();
const done = (name, since) => { result.timings_ms[name] = clock() - since; };
// Pyodide's and Python's own printing goes to stderr: the answer travels in job.output.
const log = (text) => process.stderr.write(text + "\n");

let status = 0;
try {
  const pyodideDir = join(job.node_modules, "pyodide");
  const { loadPyodide } = await import(pathToFileURL(join(pyodideDir, "pyodide.mjs")).href);
  const lock = JSON.parse(readFileSync(join(pyodideDir, "pyodide-lock.json"), "utf8"));
  lock.packages = {};
  let since = clock();
  const py = await loadPyodide({
    lockFileContents: JSON.stringify(lock), stdout: log, stderr: log, env: job.env ?? {},
  });
  done("start", since);

  since = clock();
  await py.loadPackage(job.micropip_wheel, { messageCallback: log, errorCallback: log });
  done("micropip", since);

  result.installs = [];
  for (const install of job.installs) {
    since = clock();
    py.globals.set("REQUIREMENTS", py.toPy(install.lines));
    py.globals.set("INDEX", job.index_url);
    const listed = await py.runPythonAsync(`
import json, micropip
await micropip.install(list(REQUIREMENTS), index_urls=[INDEX])
json.dumps({p.name: {"version": p.version, "source": p.source} for p in micropip.list().values()})
`);
    result.installs.push({ label: install.label, packages: JSON.parse(listed) });
    done(`install:${install.label}`, since);
  }

  // The module is copied into Pyodide's file system and imported, so it runs as a module
  // (not as __main__) with the same source the CPython reference runs.
  py.FS.mkdirTree("/job");
  for (const name of readdirSync(job.module_dir).filter((f) => f.endsWith(".py"))) {
    py.FS.writeFile(`/job/${name}`, readFileSync(join(job.module_dir, name), "utf8"));
  }
  py.globals.set("INPUT", JSON.stringify(job.input));
  py.globals.set("MODULE", job.module);
  since = clock();
  const answer = await py.runPythonAsync(`
import importlib, json, sys
sys.path.insert(0, "/job")
json.dumps(await importlib.import_module(MODULE).run(json.loads(INPUT)))
`);
  done("run", since);
  result.run = JSON.parse(answer);
  result.pyodide = py.version;
} catch (error) {
  result.error = String(error?.message ?? error);
  status = 1;
}
writeFileSync(job.output, JSON.stringify(result));
process.exit(status);
