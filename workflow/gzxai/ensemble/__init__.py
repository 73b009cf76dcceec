"""The ensemble of the members: averaged vote fractions, Table 1, the submission."""
