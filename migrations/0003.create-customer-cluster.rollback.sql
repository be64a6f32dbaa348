DROP TABLE omni_identity.customer_cluster;
