"""Builds the optional C kernel of the Method of Equal Shares and the optional C splitter of Pabulib
VOTES lines (with the import's binary COPY encoder and voter-hash sort); everything else is in
pyproject.toml.

Both extensions are optional: without a C compiler the install still succeeds, MES runs in exact
arithmetic only (services/budget/outcomes/mes_kernel.py), the parser splits lines in Python
(services/budget/pabulib/votes.py) and the import encodes and sorts in Python
(services/budget/elections/ballot_copy.py), with the same results.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "services.budget.outcomes._mes_kernel",
            sources=["services/budget/outcomes/_mes_kernel.c"],
            # No FMA contraction and no fast-math: the error bounds assume plain IEEE arithmetic.
            extra_compile_args=["-O2", "-ffp-contract=off", "-fno-fast-math"],
            optional=True,
        ),
        Extension(
            "services.budget.pabulib._votes",
            sources=["services/budget/pabulib/_votes.c"],
            extra_compile_args=["-O2"],
            optional=True,
        ),
    ]
)
