"""RSS 2.0 and Atom 1.0 feeds: a `Feed` of `Entry`s rendered to XML (a surface, like web/)."""
