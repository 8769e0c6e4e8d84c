"""The only place that runs git. Everything else asks these modules."""

# The file git reads attributes from in every folder (and the index, when absent).
ATTRIBUTES_FILE = ".gitattributes"
