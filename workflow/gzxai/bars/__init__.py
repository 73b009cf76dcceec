"""Bar lengths from saliency maps, their selection and evaluation, the direct CNN."""
