"""What people read: the plan document as text, markdown or json (plan_render), and the short
listing push prints in a CI log (push_report)."""
