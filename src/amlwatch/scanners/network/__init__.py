"""Network typologies: money that moves through several of the bank's own customers.

The input is the window's *transfer graph* (`graph.TransferGraph`): one edge per transfer
between two accounts that are both the bank's, with the customer owning each account. A
*hop* is a pair of edges e → f where f leaves the account e entered, after e and within a
gap, carrying an amount conserved within a band of e's (`graph.Hop`). The families:

- `chains` — the longest time-ordered path of hops ending at each edge (A → B → C → D):
  money relayed through intermediaries;
- `cycles` — paths of hops that return to the customer they left from (资金回流), with the
  share the circle kept;
- `fans` — scatter-gathers (A → several → C) and gather-scatters (several → H → several):
  the relays (money in and on within the gap, conserved) grouped by their ends or their
  middle;
- `bursts` — fan-in and fan-out bursts that end in a pass-through ({A1 … Ak} → H → C, one sum
  passed on; A → H → {C1 … Ck}, one sum split): a key transfer and the parts on the hub's
  other side inside the gap, whose sum the key passes on within the band;
- `layers` — bipartites (several customers each paying several others at once) and stacks
  (such layers one after the other, the middle customers passing the money on): the
  customer pairs pruned until both sides are dense, grouped by connection;

and `score.structure_scores`, a 0-100 score per structure found (conservation, speed,
breadth, weight) to rank them by; `standards` runs a network standard of the rule pack
(its parameters as a hop, its structures above its least score, its members' roles).

Each is a numba kernel over the edge arrays (no Python loop per account or edge) with a
naive twin in tests/naive.py.
"""

from __future__ import annotations

from amlwatch.scanners.network.bursts import Bursts, burst_scores, scan_bursts
from amlwatch.scanners.network.chains import Chains, scan_chains
from amlwatch.scanners.network.cycles import Cycles, scan_cycles
from amlwatch.scanners.network.fans import Fans, fan_scores, relays, scan_fans
from amlwatch.scanners.network.graph import Hop, TransferGraph
from amlwatch.scanners.network.layers import Layers, layer_scores, scan_layers
from amlwatch.scanners.network.score import structure_scores, with_member_evidence
from amlwatch.scanners.network.standards import Structures, find_structures, hop_of, roles

__all__ = [
    "Bursts",
    "Chains",
    "Cycles",
    "Fans",
    "Hop",
    "Layers",
    "Structures",
    "TransferGraph",
    "burst_scores",
    "fan_scores",
    "find_structures",
    "hop_of",
    "layer_scores",
    "relays",
    "roles",
    "scan_bursts",
    "scan_chains",
    "scan_cycles",
    "scan_fans",
    "scan_layers",
    "structure_scores",
    "with_member_evidence",
]
