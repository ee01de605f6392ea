"""Pipeline latencies of the accelerator: one number each, read by the hardware and its models.

The hardware (``hw/``) builds its pipelines to these depths and the cycle model
(``golden/cycles.py``) predicts the ``cycles`` counter from them; tests/hw checks the RTL against
the cycle model cycle for cycle. Times are cycles after a layer step's ``start`` cycle
(docs/architecture.md has the schedule).
"""

LAT_DPU_START = 1  # baseline: step start -> first weight chunk read
LAT_BNN = 3        # start -> BNN pipeline + registered decision: neuron j at LAT_BNN + (j+1)*Kb
LAT_QUEUE = 2      # decision -> first weight chunk read of a computed neuron (compute queue)
LAT_REUSE = 1      # decision -> a reused neuron's output marked done
LAT_DPU = 2        # DPU: products registered, then adder tree and accumulator
LAT_MU = 5         # DPU end -> output marked done (weight read 1, DPU 2, MU 2)
LAT_CELL = 7       # cell issue of neuron H-1 -> step end seen by the controller

# the ghost build (hw/ghost.py; docs/architecture.md "Ghost states"): the cell unit's write of
# u_i -> the ghost unit's first read of column i, earliest; and the tail: the last column's
# first read c -> step end c + P + G + GHOST_TAIL (products, accumulate, MU pass of G, write)
LAT_GHOST_COLUMN = 1
GHOST_TAIL = 5

# the delta build (hw/schemes/delta.py; docs/architecture.md "The delta build")
LAT_ENCODE = 1     # start -> element 0 of [x, h] examined by the delta encoder (k at 1 + k)
LAT_COLUMN = 1     # element examined -> its column popped from the encoder's queue, earliest
LAT_ACCUMULATE = 3  # last word issued -> its pre-activation word written and readable
LAT_PASS_START = 1  # scan and accumulation over -> the MU pass reads neuron 0
LAT_MU_PASS = 4    # neuron j's pre-activation read -> its output marked done (MU 2, buffer 1)
