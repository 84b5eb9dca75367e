"""FPGA devices and ercc's cost model: estimates of cycles and resources, not synthesis results."""
