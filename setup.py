"""Build the compiled search kernel (``routing._kernel``); everything else is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "routing._kernel",
            sources=["routing/_kernel.c", "routing/_ch.c", "routing/_cch.c"],
            depends=["routing/_common.h"],
            extra_compile_args=["-O3"],
            optional=False,
        )
    ]
)
