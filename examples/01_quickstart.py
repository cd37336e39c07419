"""Quickstart: build a record from role-filler pairs, query it, clean up the answer.

Run: python examples/01_quickstart.py
"""

import numpy as np

from hdvec import hdc

# --- Binary spatter codes: 10,000 bits in 157 uint64 words per vector -------
m = hdc.BSC(10_000, seed=0)
mem = hdc.ItemMemory(m)
mem.add(["name", "capital", "currency", "USA", "Washington", "Dollar", "Mexico", "Mexico City", "Peso"])
v = lambda *keys: mem.get(list(keys))  # noqa: E731

usa = hdc.hash_table(m, v("name", "capital", "currency"), v("USA", "Washington", "Dollar"))
mex = hdc.hash_table(m, v("name", "capital", "currency"), v("Mexico", "Mexico City", "Peso"))
print(f"one vector: {usa.shape} {usa.dtype} = {usa.nbytes} bytes")

# "What is the dollar of Mexico?" (Kanerva): map USA -> Mexico, apply to Dollar
mapping = m.bind(usa, mex)
answer = m.bind(mapping, v("Dollar"))
print("the Dollar of Mexico is:", mem.lookup(answer)[0])

# capital of the USA record: unbind the role and clean up, batched
d, rows = mem.cleanup(m.unbind(np.stack([usa, mex]), v("capital")), k=2)
print("capitals:", [mem.keys[r] for r in rows[:, 0]], "Hamming distances:", d[:, 0])

# --- Sequences by permutation ------------------------------------------------
letters = hdc.ItemMemory(m)
word = lambda s: hdc.sequence(m, letters.get(list(s), add=True))  # noqa: E731
print("sim(hello, hallo) =", round(float(m.similarity(word("hello"), word("hallo"))), 3))
print("sim(hello, world) =", round(float(m.similarity(word("hello"), word("world"))), 3))

# --- MBAT: orthogonal-matrix roles, non-commutative nesting -------------------
mb = hdc.MBAT(4096, seed=0)
x = mb.random(1)
ab = mb.bind(x, mb.compose(mb.role("a"), mb.role("b")))  # x at path a.b
ba = mb.bind(x, mb.compose(mb.role("b"), mb.role("a")))  # x at path b.a
print("MBAT sim(a.b, b.a) =", round(float(mb.similarity(ab, ba)[0, 0]), 3), "(paths differ)")
back = mb.unbind(mb.unbind(ab, mb.role("a")), mb.role("b"))
print("MBAT exact unbind error:", float(np.abs(back - x).max()))
