"""Document benchmark: MRZ exactness, field accuracy, false valids, quality codes, latency.

Data sets (labelled in the output):
- ``specimens_verified`` REAL specimen images with a verified MRZ transcription (10);
- ``specimens_unverified`` REAL images without transcription: only "never valid unless every
  check digit passes" can be judged;
- ``synthetic_normal`` / ``synthetic_hard`` SYNTHETIC photos from benchmarks.synth.documents
  (fixed seed), generated on the fly or loaded from ``--data`` (written by its CLI).

Usage::

    uv run python -m benchmarks.bench_documents [--limit N] [--json] [--viz] [--reads FILE]
    uv run python -m benchmarks.bench_documents --cold   # fresh process per specimen
    uv run --with passporteye python -m benchmarks.bench_documents --compare-passporteye
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.synth.documents import REFERENCE_DATE, generate_dataset

SHARED_DOCUMENTS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "documents"
FIELDS = (
    "document_type",
    "issuing_country",
    "surname",
    "given_names",
    "document_number",
    "nationality",
    "birth_date",
    "sex",
    "expiry_date",
    "optional_data",
)
QUALITY_CODES = {"document_blurry", "document_glare", "document_cropped", "document_unreadable"}


@dataclass
class Sample:
    """One image to read and what is known about it."""

    name: str
    image: np.ndarray
    lines: tuple[str, ...] | None  # None: no verified transcription
    fields: dict[str, str] | None = None
    homography: list[list[float]] | None = None  # page -> photo (synthetic only)
    page_size: tuple[int, int] | None = None
    printed_format: str | None = None


@dataclass
class Outcome:
    """What a reader said about one image."""

    found: bool
    lines: tuple[str, ...]
    valid: bool
    checks_all_pass: bool
    fields: dict[str, Any] | None
    reason_codes: tuple[str, ...]
    elapsed_ms: float
    normalised: np.ndarray | None = None  # rectified document, when the reader gives one
    document_format: str | None = None
    mrz_fields: Any = None  # the reader's MrzFields object
    corrected_lines: bool = True  # False: lines are raw OCR (PassportEye); judge by fields


@dataclass
class SetReport:
    """Figures for one data set."""

    name: str
    kind: str  # real | synthetic
    n: int = 0
    exact: int = 0
    valid: int = 0
    false_valid: int = 0
    valid_without_all_checks: int = 0
    field_correct: Counter[str] = field(default_factory=Counter)
    reason_codes: Counter[str] = field(default_factory=Counter)
    not_valid_with_quality_code: int = 0
    not_valid_without_quality_code: int = 0
    times_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    viz: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        """Summary figures."""
        times = sorted(self.times_ms)
        has_truth = self.kind == "synthetic" or self.name == "specimens_verified"
        out: dict[str, Any] = {
            "set": self.name,
            "data": self.kind,
            "n": self.n,
            "valid": self.valid,
            "false_valid": self.false_valid,
            "valid_without_all_checks": self.valid_without_all_checks,
            "reason_codes": dict(sorted(self.reason_codes.items())),
            "not_valid_with_quality_code": self.not_valid_with_quality_code,
            "not_valid_without_quality_code": self.not_valid_without_quality_code,
            "median_ms": round(statistics.median(times), 1) if times else None,
            "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1)
            if times
            else None,
        }
        if has_truth:
            out["exact"] = self.exact
            out["exact_rate"] = round(self.exact / self.n, 4) if self.n else None
            out["field_accuracy"] = {
                f: round(self.field_correct[f] / self.n, 4) if self.n else None for f in FIELDS
            }
            out["misses"] = self.failures[:20]
        if self.viz:
            out["viz"] = dict(self.viz)
        return out


# --------------------------------------------------------------------------- readers


def _reader_engine(today: date) -> tuple[str, Callable[[np.ndarray], Outcome]]:
    """The project's document reader: read_document if present, else the bare MRZ OCR."""
    try:
        from app.vision.document.reader import read_document
    except ImportError:
        read_document = None

    def outcome_from(
        mrz: Any, codes: tuple[str, ...], elapsed: float, normalised: Any = None
    ) -> Outcome:
        fields = mrz.to_json()["fields"] if mrz.fields is not None else None
        checks = dict(mrz.checks)
        return Outcome(
            found=bool(mrz.found),
            lines=tuple(mrz.lines),
            valid=bool(mrz.valid),
            checks_all_pass=bool(checks) and all(checks.values()),
            fields=fields,
            reason_codes=codes,
            elapsed_ms=elapsed,
            normalised=normalised,
            document_format=mrz.format,
            mrz_fields=mrz.fields,
        )

    if read_document is not None:

        def run_reader(image: np.ndarray) -> Outcome:
            start = time.perf_counter()
            reading = read_document(image, today=today)
            elapsed = (time.perf_counter() - start) * 1000
            codes = set(reading.reason_codes) | set(reading.quality.reason_codes)
            codes |= set(reading.mrz.reason_codes)
            return outcome_from(reading.mrz, tuple(sorted(codes)), elapsed, reading.normalised)

        return "app.vision.document.reader.read_document", run_reader

    from app.vision.document.ocr import read_mrz

    def run_ocr(image: np.ndarray) -> Outcome:
        start = time.perf_counter()
        result = read_mrz(image, today=today).result
        elapsed = (time.perf_counter() - start) * 1000
        return outcome_from(result, tuple(sorted(result.reason_codes)), elapsed)

    return "app.vision.document.ocr.read_mrz (reader.py not present)", run_ocr


def _passporteye_engine() -> tuple[str, Callable[[np.ndarray], Outcome]]:
    from passporteye import read_mrz as pe_read_mrz

    def run(image: np.ndarray) -> Outcome:
        with tempfile.NamedTemporaryFile(suffix=".png") as handle:
            cv2.imwrite(handle.name, cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            start = time.perf_counter()
            mrz = pe_read_mrz(handle.name)
            elapsed = (time.perf_counter() - start) * 1000
        if mrz is None:
            return Outcome(False, (), False, False, None, ("mrz_not_found",), elapsed)
        lines = tuple(line for line in mrz.aux.get("text", "").split("\n") if line)
        data = mrz.to_dict()
        optional = data.get("personal_number") or (
            data.get("optional1", "") + data.get("optional2", "")
        )
        fields = {
            "document_type": data.get("type", "").replace("<", ""),
            "issuing_country": data.get("country", "").replace("<", ""),
            "surname": data.get("surname", "").replace("<", " ").strip(),
            "given_names": data.get("names", "").replace("<", " ").strip(),
            "document_number": data.get("number", "").replace("<", ""),
            "nationality": data.get("nationality", "").replace("<", ""),
            "sex": data.get("sex", ""),
            "birth_date": _yymmdd_to_iso(data.get("date_of_birth", ""), birth=True),
            "expiry_date": _yymmdd_to_iso(data.get("expiration_date", ""), birth=False),
            "optional_data": optional.replace("<", " ").strip(),
        }
        return Outcome(
            True,
            lines,
            bool(mrz.valid),
            bool(mrz.valid),
            fields,
            (),
            elapsed,
            corrected_lines=False,
        )

    return "passporteye.read_mrz", run


def _yymmdd_to_iso(text: str, *, birth: bool) -> str | None:
    """PassportEye gives YYMMDD; resolve the century like a reader would on REFERENCE_DATE."""
    if len(text) != 6 or not text.isdigit():
        return None
    yy, pivot = int(text[:2]), REFERENCE_DATE.year % 100
    century = (2000 if yy <= pivot else 1900) if birth else (1900 if yy >= 70 else 2000)
    try:
        return date(century + yy, int(text[2:4]), int(text[4:6])).isoformat()
    except ValueError:
        return None


# --------------------------------------------------------------------------- data


def _load_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(path)
    rgb: np.ndarray = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    return rgb


def specimen_sets() -> dict[str, list[Sample]]:
    """The REAL specimens, split into verified / unverified by ground_truth.json.

    Expected fields of the verified ones come from parsing their verified lines with the
    project's MRZ parser (clean text in, no OCR involved).
    """
    from app.vision.document.mrz import parse_mrz

    truth = json.loads((SHARED_DOCUMENTS / "ground_truth.json").read_text())
    verified, unverified = [], []
    for name, entry in sorted(truth.items()):
        lines = tuple(entry["mrz"]) if entry.get("mrz") else None
        fields = parse_mrz(lines, today=REFERENCE_DATE).to_json()["fields"] if lines else None
        sample = Sample(name, _load_rgb(SHARED_DOCUMENTS / name), lines, fields)
        (verified if lines else unverified).append(sample)
    return {"specimens_verified": verified, "specimens_unverified": unverified}


def _sample_from_truth(name: str, image: np.ndarray, truth: dict[str, Any]) -> Sample:
    return Sample(
        name=name,
        image=image,
        lines=tuple(truth["mrz"]),
        fields=truth["fields"],
        homography=truth["photo"]["homography"],
        page_size=tuple(truth["page_size"]),  # type: ignore[arg-type]
        printed_format=truth["format"],
    )


def synthetic_samples(tier: str, count: int, seed: int, data_dir: Path | None) -> Iterator[Sample]:
    """SYNTHETIC samples of one tier, from ``data_dir`` if given, else generated now."""
    if data_dir is not None:
        index = json.loads((data_dir / "truth.json").read_text())
        if index.get("seed") != seed:
            raise SystemExit(f"{data_dir} holds seed {index.get('seed')}, not {seed}")
        entries = [e for e in index["documents"] if e["tier"] == tier][:count]
        for entry in entries:
            yield _sample_from_truth(entry["name"], _load_rgb(data_dir / entry["file"]), entry)
        return
    docs = generate_dataset(count if tier == "normal" else 0, count if tier == "hard" else 0, seed)
    for doc in docs:
        yield _sample_from_truth(doc.name, doc.image, doc.truth_json())


# --------------------------------------------------------------------------- scoring


def _norm(value: Any) -> str:
    return str(value or "").replace("<", " ").strip().upper()


def read_record(set_name: str, sample: Sample, outcome: Outcome) -> dict[str, Any]:
    """One image's read as a JSON line (``--reads``): what a refactor must leave unchanged."""
    return {
        "set": set_name,
        "name": sample.name,
        "found": outcome.found,
        "lines": list(outcome.lines),
        "valid": outcome.valid,
        "fields": outcome.fields,
        "reason_codes": list(outcome.reason_codes),
    }


def score(report: SetReport, sample: Sample, outcome: Outcome, viz: bool) -> None:
    """Add one image's outcome to ``report``."""
    report.n += 1
    report.times_ms.append(outcome.elapsed_ms)
    report.reason_codes.update(outcome.reason_codes or ("(none)",))
    report.valid += outcome.valid
    if outcome.valid and not outcome.checks_all_pass:
        report.valid_without_all_checks += 1
    if not outcome.valid:
        if QUALITY_CODES & set(outcome.reason_codes):
            report.not_valid_with_quality_code += 1
        else:
            report.not_valid_without_quality_code += 1
    if viz:
        _score_viz_pipeline(report, outcome)
    if sample.lines is None:
        if outcome.valid and not outcome.checks_all_pass:
            report.false_valid += 1
        return
    truth_fields = sample.fields or {}
    fields_ok = True
    for name in FIELDS:
        got = (outcome.fields or {}).get(name)
        ok = outcome.fields is not None and _norm(got) == _norm(truth_fields.get(name))
        fields_ok &= ok
        report.field_correct[name] += ok
    # raw OCR lines (PassportEye) are not corrected: "exact" then means every field right
    exact = outcome.lines == sample.lines if outcome.corrected_lines else fields_ok
    report.exact += exact
    if outcome.valid and (not exact or not fields_ok):
        report.false_valid += 1
        report.failures.append(f"FALSE VALID {sample.name}: {outcome.lines}")
    elif not exact:
        report.failures.append(f"{sample.name}: {'/'.join(outcome.reason_codes)} {outcome.lines}")
    if viz and sample.homography is not None and sample.page_size is not None:
        _score_viz(report, sample)


def _score_viz_pipeline(report: SetReport, outcome: Outcome) -> None:
    """Printed fields on the reader's own normalised page vs the reader's valid MRZ."""
    from app.vision.document.viz import compare_printed_with_mrz, read_printed_fields

    if not outcome.valid or outcome.normalised is None:
        return
    printed = read_printed_fields(outcome.normalised, outcome.document_format)
    result = compare_printed_with_mrz(printed, outcome.mrz_fields)
    report.viz["pipeline_documents"] += 1
    report.viz[f"pipeline_consistent_{result.consistent}"] += 1
    for name in result.mismatches:
        report.viz[f"pipeline_mismatch_{name}"] += 1


def _score_viz(report: SetReport, sample: Sample) -> None:
    """Printed fields on the page rectified with the TRUE homography (oracle localisation)."""
    from app.vision.document.viz import compare_printed_with_mrz, read_printed_fields

    homography = np.array(sample.homography, dtype=np.float64)
    assert sample.page_size is not None
    page = cv2.warpPerspective(
        sample.image, np.linalg.inv(homography), sample.page_size, flags=cv2.INTER_LINEAR
    )
    start = time.perf_counter()
    printed = read_printed_fields(page, sample.printed_format)
    report.viz["oracle_ms_total"] += int((time.perf_counter() - start) * 1000)
    result = compare_printed_with_mrz(printed, sample.fields or {})
    report.viz["oracle_documents"] += 1
    report.viz[f"oracle_consistent_{result.consistent}"] += 1
    for name in result.compared:
        report.viz[f"oracle_compared_{name}"] += 1
    for name in result.mismatches:
        report.viz[f"oracle_false_mismatch_{name}"] += 1  # truth agrees by construction


# --------------------------------------------------------------------------- main


def _print_report(engine: str, report: dict[str, Any]) -> None:
    print(f"\n== {report['set']} ({report['data'].upper()}, n={report['n']}) engine: {engine}")
    if "exact" in report:
        print(f"  exact MRZ       {report['exact']}/{report['n']} = {report['exact_rate']:.1%}")
        accuracy = ", ".join(f"{k}={v:.1%}" for k, v in report["field_accuracy"].items())
        print(f"  field accuracy  {accuracy}")
    print(
        f"  valid           {report['valid']}   FALSE VALID {report['false_valid']}"
        f"   valid-without-all-checks {report['valid_without_all_checks']}"
    )
    print(
        f"  not valid: with quality code {report['not_valid_with_quality_code']}, "
        f"without {report['not_valid_without_quality_code']}"
    )
    print(f"  reason codes    {report['reason_codes']}")
    print(f"  latency         median {report['median_ms']} ms, p95 {report['p95_ms']} ms")
    if "viz" in report:
        print(f"  printed fields {report['viz']}")
    for miss in report.get("misses", [])[:8]:
        print(f"    miss: {miss}")


def _warm_up() -> None:
    """Load what a running worker has loaded already (OCR-B templates, the cell network,
    dlib's models), so that no image pays for it in the latency figures."""
    from app.vision.document.ocr import load_mrz_models
    from app.vision.faces import load_face_models

    load_mrz_models()
    load_face_models()


def bench_aamva(count: int, seed: int, as_json: bool) -> int:
    """SYNTHETIC US licence backs: PDF417 read rate, field accuracy and latency."""
    from app.vision.document.aamva import read_licence_barcode
    from benchmarks.synth.documents import photograph_licence_back, random_aamva_payload

    correct, found, times = 0, 0, []
    misses = []
    for index in range(count):
        rng = np.random.default_rng([seed, 9, index])
        payload, values = random_aamva_payload(rng)
        photo, record = photograph_licence_back(payload, rng)
        start = time.perf_counter()
        data = read_licence_barcode(photo)
        times.append((time.perf_counter() - start) * 1000)
        found += data is not None
        ok = (
            data is not None
            and data.document_number == values["document_number"]
            and data.surname == values["surname"]
            and data.birth_date is not None
            and data.birth_date.isoformat() == values["birth_date"]
            and data.expiry_date is not None
            and data.expiry_date.isoformat() == values["expiry_date"]
        )
        correct += ok
        if not ok:
            misses.append({k: record[k] for k in ("rotation_deg", "perspective", "gauss_sigma")})
    times.sort()
    summary = {
        "set": "synthetic_licence_backs",
        "n": count,
        "decoded": found,
        "all_fields_right": correct,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(count - 1, int(0.95 * count))], 1),
        "misses": misses,
    }
    print(json.dumps(summary, indent=1) if as_json else summary)
    return 0


# A fresh interpreter's first read (what the CLI, a capture verdict after a deploy and a
# newly scaled worker pay), then a second read of the same image in the same process.
_COLD_CHILD = """
import json, sys, time
started = time.perf_counter()
from datetime import date
import cv2
from app.vision.document.reader import read_document
imported = time.perf_counter()
rgb = cv2.cvtColor(cv2.imread(sys.argv[1], cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
today = date.fromisoformat(sys.argv[2])
times, cpu = [], []
for _ in range(2):
    start, start_cpu = time.perf_counter(), time.process_time()
    reading = read_document(rgb, today=today, find_portrait=False)
    times.append((time.perf_counter() - start) * 1000)
    cpu.append((time.process_time() - start_cpu) * 1000)
print(json.dumps({"import_ms": (imported - started) * 1000, "first_ms": times[0],
                  "second_ms": times[1], "first_cpu_ms": cpu[0], "second_cpu_ms": cpu[1],
                  "valid": reading.mrz.valid}))
"""


def bench_cold(names: list[str], as_json: bool) -> dict[str, Any]:
    """Cold against warm on the REAL specimens: each image in a fresh process (imports
    timed apart), the first read against a second read in the same process; wall time
    and this process's CPU time (its threads included, Tesseract's processes not), which
    a busy shared machine disturbs less."""
    import subprocess

    rows = []
    for name in names:
        out = subprocess.run(
            [sys.executable, "-c", _COLD_CHILD, str(SHARED_DOCUMENTS / name), str(REFERENCE_DATE)],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[1],
        ).stdout
        rows.append({"name": name, **json.loads(out.strip().splitlines()[-1])})

    def spread(key: str) -> dict[str, float]:
        values = sorted(row[key] for row in rows)
        return {
            "median_ms": round(statistics.median(values), 1),
            "p95_ms": round(values[min(len(values) - 1, int(0.95 * len(values)))], 1),
            "max_ms": round(values[-1], 1),
        }

    summary = {
        "set": "specimens (REAL), one fresh process each",
        "n": len(rows),
        "import": spread("import_ms"),
        "cold_first_read": spread("first_ms"),
        "warm_second_read": spread("second_ms"),
        "cold_first_read_cpu": spread("first_cpu_ms"),
        "warm_second_read_cpu": spread("second_cpu_ms"),
        "per_image": [
            {k: round(v, 1) if isinstance(v, float) else v for k, v in row.items()} for row in rows
        ],
    }
    if not as_json:
        print(f"\n== cold vs warm, {summary['set']}, n={len(rows)}")
        for key in (
            "import",
            "cold_first_read",
            "warm_second_read",
            "cold_first_read_cpu",
            "warm_second_read_cpu",
        ):
            figures = summary[key]
            print(
                f"  {key:17s} median {figures['median_ms']} ms, p95 {figures['p95_ms']} ms, "
                f"max {figures['max_ms']} ms"
            )
        for row in summary["per_image"]:
            print(
                f"    {row['name']:22s} first {row['first_ms']:7.1f}  second "
                f"{row['second_ms']:7.1f}  valid {row['valid']}"
            )
    return summary


def code_version() -> str:
    """HEAD commit, plus a note when the reader's files differ from it (figures are snapshots)."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "app/vision/document"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" + uncommitted changes in app/vision/document" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print (or dump as JSON) the figures."""
    parser = argparse.ArgumentParser(description="document reader benchmark")
    parser.add_argument("--limit", type=int, default=None, help="max synthetic images per tier")
    parser.add_argument("--normal", type=int, default=200)
    parser.add_argument("--hard", type=int, default=120)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, default=None, help="pre-generated synthetic set")
    parser.add_argument("--sets", default="specimens_verified,specimens_unverified,normal,hard")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--viz", action="store_true", help="also benchmark printed fields")
    parser.add_argument("--compare-passporteye", action="store_true")
    parser.add_argument("--aamva", type=int, default=0, help="only: N synthetic licence backs")
    parser.add_argument(
        "--reads", type=Path, default=None, help="write every image's read here (JSON lines)"
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="only: cold first read vs warm, each REAL specimen in a fresh process",
    )
    args = parser.parse_args(argv)
    if args.aamva:
        return bench_aamva(args.aamva, args.seed, args.json)
    if args.cold:
        names = sorted(json.loads((SHARED_DOCUMENTS / "ground_truth.json").read_text()))
        summary = bench_cold(names, args.json)
        if args.json:
            print(json.dumps({"code": code_version(), **summary}, indent=1))
        return 0

    engines = [_reader_engine(REFERENCE_DATE)]
    if args.compare_passporteye:
        try:
            engines.append(_passporteye_engine())
        except ImportError as error:
            print(f"PassportEye unavailable: {error}", file=sys.stderr)
    wanted = set(args.sets.split(","))
    limit = args.limit if args.limit is not None else 10**9
    sets: list[tuple[str, str, Callable[[], Iterator[Sample]]]] = []
    specimens = specimen_sets() if wanted & {"specimens_verified", "specimens_unverified"} else {}
    for name in ("specimens_verified", "specimens_unverified"):
        if name in wanted:
            sets.append((name, "real", lambda name=name: iter(specimens[name])))  # type: ignore[misc]
    for tier, count in (("normal", args.normal), ("hard", args.hard)):
        if tier in wanted:
            n = min(count, limit)
            sets.append(
                (
                    f"synthetic_{tier}",
                    "synthetic",
                    lambda tier=tier, n=n: synthetic_samples(tier, n, args.seed, args.data),
                )
            )  # type: ignore[misc]

    version = code_version()
    if not args.json:
        print(f"code: {version}; today={REFERENCE_DATE}; seed={args.seed}")
    _warm_up()
    results: list[dict[str, Any]] = []
    reads_file = args.reads.open("w") if args.reads is not None else None
    for set_name, kind, samples in sets:
        reports = {name: SetReport(set_name, kind) for name, _ in engines}
        for sample in samples():
            for engine_name, run in engines:
                outcome = run(sample.image)
                if reads_file is not None and run is engines[0][1]:
                    reads_file.write(json.dumps(read_record(set_name, sample, outcome)) + "\n")
                score(reports[engine_name], sample, outcome, args.viz and run is engines[0][1])
        for engine_name, _ in engines:
            report = reports[engine_name].to_json()
            report["engine"] = engine_name
            results.append(report)
            if not args.json:
                _print_report(engine_name, report)
    if reads_file is not None:
        reads_file.close()
    if args.json:
        print(
            json.dumps(
                {
                    "seed": args.seed,
                    "today": REFERENCE_DATE.isoformat(),
                    "code": version,
                    "results": results,
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
