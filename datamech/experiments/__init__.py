"""The papers' tables and figures, rebuilt from models and solvers."""
