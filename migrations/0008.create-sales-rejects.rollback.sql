DROP TABLE omni_identity.sales_rejects;
