"""Builds the optional C kernel of the Method of Equal Shares; everything else is in pyproject.toml.

The extension is optional: without a C compiler the install still succeeds and MES runs in
exact arithmetic only (services/budget/outcomes/mes_kernel.py).
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
        )
    ]
)
