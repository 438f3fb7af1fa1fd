"""Build the compiled search kernel (``routing._kernel``); everything else is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "routing._kernel",
            sources=["routing/_kernel.c"],
            extra_compile_args=["-O3"],
            optional=False,
        )
    ]
)
