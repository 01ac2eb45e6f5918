"""Exit statuses and last words (snakepit/exits.py): the statuses are those of docs/protocol.md,
section 4.8, and nothing on the way out raises."""
import io
import os
import re
import sys

from snakepit import exits

PROTOCOL = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        "docs", "protocol.md")


def documented_statuses():
    """The statuses in the table of protocol.md's section 4.8."""
    with open(PROTOCOL, encoding="utf-8") as f:
        text = f.read()
    section = text[text.index("### 4.8 Exit statuses"):text.index("### 4.9")]
    return sorted(int(status) for status in re.findall(r"^\| (\d+) \|", section, re.MULTILINE))


def test_every_documented_exit_status_is_defined_once_and_nothing_else():
    defined = {name: value for name, value in vars(exits).items() if name.startswith("EXIT_")}
    assert sorted(defined.values()) == documented_statuses() == [0, 2, 3, 4, 5, 70]


def test_write_stderr_writes_to_fd_2_as_utf8(capfd):
    exits.write_stderr("snakepit: last words \U0001f40d\n")
    assert capfd.readouterr().err == "snakepit: last words \U0001f40d\n"


def test_write_stderr_never_raises_when_fd_2_is_gone():
    saved = os.dup(2)
    try:
        os.close(2)
        exits.write_stderr("nobody reads this\n")
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class Broken(io.StringIO):
    def flush(self):
        raise OSError("broken pipe")


def test_flushing_the_standard_streams_never_raises(monkeypatch):
    monkeypatch.setattr(sys, "stdout", Broken())
    monkeypatch.setattr(sys, "stderr", None)
    exits.flush_std_streams()
