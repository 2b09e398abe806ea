process.env.APPNEST_TEST_DB = 'postgres';
