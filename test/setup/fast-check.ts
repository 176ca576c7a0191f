/**
 * fast-check 4 draws arrays and strings no longer than ten elements unless told otherwise, even
 * with a `maxLength` of 4096: a fuzz test of "bodies up to 4 KiB" would never see one over ten
 * bytes. With this setting an arbitrary with a `maxLength` ranges up to it (one without keeps
 * the small default).
 */
import fc from 'fast-check';

fc.configureGlobal({ ...fc.readConfigureGlobal(), defaultSizeToMaxWhenMaxSpecified: true });
