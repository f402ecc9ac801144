"""The lesson on collaborative filtering: users and items as learned vectors whose dot
product predicts a rating."""

from __future__ import annotations

from nncore.edits import SetNodeParams
from nncore.lessons.base import Figure, Lesson, Step, at_least, at_most, train
from nncore.project import Project, project_from_dict

_NODES = [("user", "Input", {"shape": [1]}, (0, 0)), ("item", "Input", {"shape": [1]}, (0, 160)),
          ("user_vector", "Embedding", {"input_dim": 100, "output_dim": 1}, (170, 0)),
          ("item_vector", "Embedding", {"input_dim": 80, "output_dim": 1}, (170, 160)),
          ("user_flat", "Flatten", {}, (340, 0)), ("item_flat", "Flatten", {}, (340, 160)),
          ("match", "Dot", {}, (510, 80)),
          ("rating", "Dense", {"units": 1, "activation": "linear"}, (680, 80))]
_EDGES = [("user", "user_vector"), ("item", "item_vector"), ("user_vector", "user_flat"),
          ("item_vector", "item_flat"), ("user_flat", "match"), ("item_flat", "match"),
          ("match", "rating")]


def _ratings() -> Project:
    return project_from_dict({
        "format": "netcanvas-project", "version": 2, "name": "Lesson: recommendation",
        "description": "3,000 ratings of 80 items by 100 users, made from 3 hidden tastes.",
        "network": {
            "nodes": [{"id": i, "type": t, "params": p, "position": list(pos)}
                      for i, t, p, pos in _NODES],
            "edges": [{"source": s, "target": t} for s, t in _EDGES]},
        "data": {"source": "synthetic", "name": "recommender", "normalization": "none",
                 "val_fraction": 0.2,
                 "params": {"n_users": 100, "n_items": 80, "rank": 3, "n_ratings": 3000,
                            "noise": 0.1, "seed": 0}},
        "training": {"loss": "mse", "optimizer": "adam", "learning_rate": 0.01,
                     "batch_size": 32, "epochs": 40}})


def _rmse(project: Project) -> float:
    return train(project).final("val_rmse")


def _one_number(project: Project) -> list[Figure]:
    return [at_least("validation error (RMSE) with one number each", _rmse(project), 0.5,
                     "at least 0.5 stars: one taste cannot tell the items apart")]


def _three_numbers(project: Project) -> list[Figure]:
    three, one = _rmse(project), _rmse(RECOMMENDER.project(1))
    return [at_most("validation error, three numbers / one", three / one, 0.75,
                    "at most 3/4: the vectors capture the tastes")]


def _vectors(n: int) -> tuple[SetNodeParams, SetNodeParams]:
    return (SetNodeParams("user_vector", {"output_dim": n}),
            SetNodeParams("item_vector", {"output_dim": n}))


RECOMMENDER = Lesson(
    "recommender", "Recommendation: embeddings and the dot product",
    "A recommender guesses how much a user will like an item from the ratings of everyone "
    "else. Here each user and each item gets a short list of numbers, its vector, which "
    "training learns (an Embedding layer holds one per id). The predicted rating comes from "
    "the dot product of the two vectors (their numbers multiplied pair by pair and added "
    "up): it is high when the user's numbers and the item's agree. With too few numbers the "
    "vectors cannot hold the different tastes, and the predictions stay poor.",
    _ratings,
    (
        Step("Train with one number per user and item", (), "curves",
             "The validation error stays high: one number cannot describe three tastes.",
             _one_number),
        Step("Give every user and item three numbers", _vectors(3), "runs",
             "The validation error drops well below the first run's; overlay the two runs.",
             _three_numbers),
    ))
