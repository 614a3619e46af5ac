"""The approvals service: customer admins' one-time links, redeemed into signed inputs.

Customer admins have no keys. When a customer gate opens, each named admin is sent a
personal link (made by the notification activity, `approvals.issuer`); redeeming it here
turns it into the admin's input, signed with the service's own key, which the workflow
accepts for customer gates only.
"""
