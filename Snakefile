# gzxai: Galaxy Zoo morphology with explained CNNs. Thin entry point: configuration,
# validation, and the rule files of each stage. All science lives in workflow/gzxai/.
import sys

from snakemake.utils import min_version, validate

min_version("9.27")

# The gzxai package lives in this checkout (workflow/gzxai).
PACKAGE_DIR = f"{workflow.basedir}/workflow"
sys.path.insert(0, PACKAGE_DIR)


# Defaults live with the workflow; --configfile merges a user's overrides over them.
configfile: f"{workflow.basedir}/config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


# `snakemake --report results/report.html` collects every figure and table with its caption.
report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/fetch.smk"
include: "workflow/rules/synthesize.smk"
include: "workflow/rules/catalogues.smk"
include: "workflow/rules/images.smk"
include: "workflow/rules/splits.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/bias.smk"
include: "workflow/rules/bars.smk"
include: "workflow/rules/votes.smk"
include: "workflow/rules/active.smk"
include: "workflow/rules/audit.smk"
include: "workflow/rules/runtimes.smk"


rule all:
    default_target: True
    input:
        final_outputs(),
        "results/benchmarks/rules.csv",
