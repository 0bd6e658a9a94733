import pickle

from datamech import ModelError, SolverError


def test_errors_survive_pickling():
    e = pickle.loads(pickle.dumps(ModelError("model.n", "must be at least 1")))
    assert (
        isinstance(e, ValueError)
        and e.field == "model.n"
        and str(e) == "model.n: must be at least 1"
    )
    s = pickle.loads(pickle.dumps(SolverError("infeasible", "obedience")))
    assert s.status == "infeasible" and "obedience" in str(s)
