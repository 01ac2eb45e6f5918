"""A module whose import ends the process without a word to the control plane, as a crash would."""
import os
import sys

from pooltests import record_spawn

record_spawn()
sys.stderr.write("pooltests.dies_on_import: giving up\n")
sys.stderr.flush()
os._exit(7)
