"""ROI: value and cost schedules to return multiple, net ROI, NPV, IRR, payback, break-even."""
