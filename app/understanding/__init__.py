"""Window parts that show why a network behaves as it does: lint marks and fixes, the
gradient check, the learning-rate finder, the single-sample trace, unit responses on the
nodes and the editor of a project's own points."""
