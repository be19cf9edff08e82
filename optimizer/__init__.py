"""Stockpile and procurement optimisation for critical minerals: the application.

The pipeline is read -> validate -> build -> solve -> report; see
``optimizer.pipeline`` for the stages and ``models`` for the formulation.
"""

__version__ = "0.1.0"
