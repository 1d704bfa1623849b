"""Compare what two demo runs produced: every mail (headers, text, HTML, calendar part) and the
report (Markdown, HTML, Word text, blocks.json), after blanking what differs on every run
(tokens, dates of sending, Message-IDs, MIME boundaries, DTSTAMP, the report's compile time).

    uv run python script/demo_compare.py OLD_WORKSPACE NEW_WORKSPACE [--diffs DIR]
    uv run python script/demo_compare.py --rev OLD_GIT_REV [--diffs DIR]

With --rev it builds both runs itself: the demo of this checkout and the demo of OLD_GIT_REV
(in a temporary git worktree with its own environment), same seed, same day. It prints one
JSON object: how many mails each run sent, how many are identical, which differ (by kind), and
whether each report file is identical; with --diffs it writes a unified diff per difference.
"""

from __future__ import annotations

import argparse
import difflib
import email
import email.policy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_TOKEN = re.compile(r"(/[a-z]/)[A-Za-z0-9_-]{20,}")
_VOLATILE_ICS = re.compile(r"^(DTSTAMP|CREATED|LAST-MODIFIED|UID):.*$", re.MULTILINE)
_GENERATED = re.compile(
    r"(Opgesteld|Compiled)[^<\n]*\d{4}[^<\n]*|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?"
)


def normalise(text: str) -> str:
    text = _TOKEN.sub(r"\1<token>", text)
    text = _VOLATILE_ICS.sub(r"\1:<volatile>", text.replace("\r\n", "\n"))
    return text


def mail_text(message: EmailMessage) -> str:
    lines = [f"{name}: {message[name]}" for name in ("From", "To", "Cc", "Subject")]
    for part in message.walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        payload = part.get_payload(decode=True) or b""
        body = payload.decode(part.get_content_charset() or "utf-8", "replace")
        if body.startswith("BEGIN:VCALENDAR"):
            # Unfold content lines, so a token that a fold split is found whole.
            body = body.replace("\r\n ", "").replace("\n ", "")
        lines += [f"--- {kind} {part.get_filename() or ''}".rstrip(), body]
    return normalise("\n".join(lines))


def read_mails(workspace: Path) -> list[tuple[str, str]]:
    """(recipient and subject, normalised text) per mail in the demo's mail folder."""
    found = []
    for path in sorted((workspace / "mail").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append((f"{message['To']} | {message['Subject']}", mail_text(message)))
    return found


def mail_kind(subject: str) -> str:
    """The subject up to its first colon or question mark: a mail's kind for the summary."""
    text = subject.split(" | ", 1)[1]
    return re.split(r"[:?]", text, maxsplit=1)[0].strip()


def report_texts(workspace: Path) -> dict[str, str]:
    texts: dict[str, str] = {}
    for folder in sorted((workspace / "reports").glob("*")):
        for path in sorted(folder.iterdir()):
            name = f"{folder.name}/{path.name}"
            if path.suffix in (".md", ".html", ".json"):
                texts[name] = _GENERATED.sub("<generated>", path.read_text(encoding="utf-8"))
            elif path.suffix == ".docx":
                import docx

                document = docx.Document(str(path))
                paragraphs = [p.text for p in document.paragraphs]
                for table in document.tables:
                    paragraphs += [c.text for row in table.rows for c in row.cells]
                texts[name] = _GENERATED.sub("<generated>", "\n".join(paragraphs))
    return texts


def compare(old: Path, new: Path, diffs: Path | None) -> dict[str, object]:
    old_mails, new_mails = read_mails(old), read_mails(new)
    old_count = Counter(text for _, text in old_mails)
    new_count = Counter(text for _, text in new_mails)
    identical = sum((old_count & new_count).values())
    only_old = [(k, t) for k, t in old_mails if old_count[t] > new_count[t]]
    only_new = [(k, t) for k, t in new_mails if new_count[t] > old_count[t]]
    by_recipient: dict[str, list[str]] = defaultdict(list)
    for key, text in only_old:
        by_recipient[key.split(" | ")[0]].append(text)
    differing: Counter[str] = Counter(mail_kind(key) for key, _ in only_new)
    if diffs is not None:
        diffs.mkdir(parents=True, exist_ok=True)
        for n, (key, text) in enumerate(only_new[:50]):
            before = by_recipient.get(key.split(" | ")[0], [""])
            closest = max(before, key=lambda b: difflib.SequenceMatcher(None, b, text).ratio())
            lines = difflib.unified_diff(
                closest.splitlines(), text.splitlines(), "old", "new", lineterm=""
            )
            (diffs / f"mail-{n:03d}.diff").write_text("\n".join(lines), encoding="utf-8")
    old_reports, new_reports = report_texts(old), report_texts(new)
    reports = {}
    for name in sorted(set(old_reports) | set(new_reports)):
        same = old_reports.get(name) == new_reports.get(name)
        reports[name] = same
        if not same and diffs is not None:
            lines = difflib.unified_diff(
                old_reports.get(name, "").splitlines(),
                new_reports.get(name, "").splitlines(),
                "old",
                "new",
                lineterm="",
            )
            safe = name.replace("/", "_")
            (diffs / f"report-{safe}.diff").write_text("\n".join(lines), encoding="utf-8")
    return {
        "old_mails": len(old_mails),
        "new_mails": len(new_mails),
        "identical_mails": identical,
        "only_old": len(only_old),
        "only_new": len(only_new),
        "differing_by_kind": dict(differing.most_common()),
        "reports_identical": reports,
    }


def run_demo(checkout: Path, workspace: Path, python: Path) -> None:
    # Older revisions ran the demo through an ephemeral Prefect server, slow to start on a
    # busy machine.
    env = {**os.environ, "CI": "true", "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300"}
    env.pop("CONSULT_CONFIG", None)
    done = subprocess.run(
        [str(python), "-m", "consult", "demo", "--workspace", str(workspace)],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"the demo in {checkout} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")


def build_at(rev: str, into: Path) -> tuple[Path, Path]:
    """A worktree of `rev` with its own environment; returns (checkout, its python)."""
    checkout = into / "checkout"
    subprocess.run(["git", "worktree", "add", "--detach", str(checkout), rev], cwd=ROOT, check=True)
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(into / "venv")}
    subprocess.run(["uv", "sync", "-q"], cwd=checkout, env=env, check=True)
    return checkout, into / "venv" / "bin" / "python"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workspaces", nargs="*", type=Path)
    parser.add_argument("--rev", help="git revision to compare this checkout with")
    parser.add_argument("--diffs", type=Path, help="folder for one diff per difference")
    args = parser.parse_args()
    if args.rev:
        with tempfile.TemporaryDirectory(prefix="demo-compare-") as tmp:
            base = Path(tmp)
            checkout, python = build_at(args.rev, base)
            try:
                run_demo(checkout, base / "old", python)
                run_demo(ROOT, base / "new", Path(sys.executable))
                result = compare(base / "old", base / "new", args.diffs)
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(checkout)], cwd=ROOT)
                shutil.rmtree(checkout, ignore_errors=True)
    elif len(args.workspaces) == 2:
        result = compare(args.workspaces[0], args.workspaces[1], args.diffs)
    else:
        parser.error("give two demo workspaces, or --rev REV")
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
