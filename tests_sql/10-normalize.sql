-- 10-normalize.sql: normalizer vectors (SPEC §3), valid and invalid, for every rule; properties vs the Python reference live in tests_py/test_normalize_*.py.
BEGIN;
SELECT plan(176);

-- normalize_email: trimming, NFC, Unicode lowercase, grammar, canonical form.
SELECT is(omni_identity.normalize_email(raw, canonical), expected, 'email: ' || description)
  FROM (VALUES
    ('  Joao.Silva@Example.COM ', false, 'joao.silva@example.com', 'trimmed and lowercased'),
    (E'\u200bana@uol.com.br\ufeff', false, 'ana@uol.com.br', 'zero-width space and BOM trimmed'),
    (E'\u00a0ana@uol.com.br\u3000', false, 'ana@uol.com.br', 'Unicode spaces trimmed'),
    (E'JOSE\u0301@X.COM', false, E'jos\u00e9@x.com', 'NFC then lowercase'),
    ('ÉMILE@EXEMPLO.COM.BR', false, 'émile@exemplo.com.br', 'Unicode lowercase'),
    (repeat('a', 64) || '@x.com', false, repeat('a', 64) || '@x.com', 'local part of 64 characters'),
    (repeat('a', 65) || '@x.com', false, NULL, 'local part of 65 characters'),
    ('ab@' || repeat('a', 63) || '.com', false, 'ab@' || repeat('a', 63) || '.com', 'label of 63 characters'),
    ('ab@' || repeat('a', 64) || '.com', false, NULL, 'label of 64 characters'),
    ('ab@' || repeat('abcdefghi.', 25) || 'com', false, NULL, 'domain of 253 characters: 256 octets in all, over 254'),
    ('ab@' || repeat('abcdefghi.', 25) || 'coms', false, NULL, 'domain of 254 characters'),
    ('a@b@c.com', false, NULL, 'two @'),
    ('abc.com', false, NULL, 'no @'),
    ('@x.com', false, NULL, 'empty local part'),
    ('.a@x.com', false, NULL, 'local part starting with a dot'),
    ('a.@x.com', false, NULL, 'local part ending with a dot'),
    ('a..b@x.com', false, NULL, 'double dot'),
    ('a b@x.com', false, NULL, 'white space in the local part'),
    ('a"b@x.com', false, NULL, 'quote in the local part'),
    (E'a\tb@x.com', false, NULL, 'control character in the local part'),
    ('a@localhost', false, NULL, 'a single label'),
    ('a@-x.com', false, NULL, 'label starting with a hyphen'),
    ('a@x-.com', false, NULL, 'label ending with a hyphen'),
    ('a@x..com', false, NULL, 'empty label'),
    ('a@x.123', false, NULL, 'last label all digits'),
    ('a@123.c0m', false, 'a@123.c0m', 'last label with a letter'),
    ('a@x_y.com', false, NULL, 'underscore in the domain'),
    ('a!#$%&''*/=?^_`{|}~-@x.com', false, 'a!#$%&''*/=?^_`{|}~-@x.com', 'printable local part'),
    ('', false, NULL, 'empty'),
    ('   ', false, NULL, 'only white space'),
    (NULL, false, NULL, 'NULL'),
    ('j.o.a.o+x@gmail.com', false, 'j.o.a.o+x@gmail.com', 'default form keeps dots and tag'),
    ('J.o.a.o+promo@GoogleMail.com', true, 'joao@gmail.com', 'canonical: Gmail dots, tag and domain'),
    ('joao+promo@uol.com.br', true, 'joao@uol.com.br', 'canonical: tag dropped at every domain'),
    ('j.o.a.o@uol.com.br', true, 'j.o.a.o@uol.com.br', 'canonical: dots kept outside Gmail'),
    ('+promo@x.com', true, '+promo@x.com', 'canonical: nothing before + keeps the local part'),
    ('a..b@gmail.com', true, NULL, 'canonical: invalid stays NULL')
  ) AS v(raw, canonical, expected, description);

-- normalize_phone: Brazilian writings agree with phonenumbers; other countries; NULLs.
SELECT is(omni_identity.normalize_phone(raw), expected, 'phone: ' || description)
  FROM (VALUES
    ('(11) 98765-4321', '+5511987654321', 'mobile with area code in parentheses'),
    ('11987654321', '+5511987654321', 'bare mobile'),
    ('+55 11 98765-4321', '+5511987654321', '+55'),
    ('55 11 98765-4321', '+5511987654321', '55 without +, read as the country code'),
    ('5511987654321', '+5511987654321', '55 and the number, bare'),
    ('(55) 99999-9999', '+5555999999999', '55 as an area code (the number is complete without it)'),
    ('(11) 3456-7890', '+551134567890', 'landline'),
    ('+55 (11) 7654-3210', '+551176543210', '10-digit number starting 7 (library: mobile)'),
    ('0 21 11 98765-4321', '+5511987654321', 'trunk 0 and carrier 21'),
    ('0xx11 98765-4321', '+5511987654321', '0xx trunk and carrier placeholder'),
    ('(0xx11) 3456-7890', '+551134567890', '(0xx11)'),
    ('011 98765-4321', '+5511987654321', 'trunk 0'),
    ('00 21 55 11 98765-4321', '+5511987654321', 'international prefix 00 + carrier, then 55'),
    ('0055 11 98765-4321', '+5511987654321', '00 then 55: Brazil (the library would read carrier 55)'),
    ('00 55 (21) 3456-7890', '+552134567890', '00 55 and a landline'),
    ('+55 0 11 98765-4321', '+5511987654321', 'trunk 0 after +55'),
    ('(11) 98765-4321 ext. 99', '+5511987654321', 'extension dropped'),
    ('(11) 98765-4321 x12', '+5511987654321', 'extension x dropped'),
    ('(11) 98765-4321;ext=12', '+5511987654321', 'RFC 3966 extension dropped'),
    ('Tel: (11) 98765-4321', '+5511987654321', 'leading label'),
    ('(11) 9a8765-4321', '+5511987654321', 'one stray letter dropped'),
    ('(11) 98765-4321 cel', NULL, 'three letters: a vanity number, too long'),
    ('１１ ９８７６５-４３２１', '+5511987654321', 'fullwidth digits'),
    ('(11) 8765-4321', NULL, 'old 8-digit mobile: the ninth digit is never invented'),
    ('(10) 98765-4321', NULL, 'area code 10 does not exist'),
    ('(20) 3456-7890', NULL, 'area code 20 does not exist'),
    ('(11) 6543-2109', NULL, 'landline starting 6'),
    ('(11) 98765-432', NULL, 'one digit short'),
    ('011 3456-7890', '+551134567890', 'trunk 0 and a landline'),
    ('+55 (21) 3456-7890', '+552134567890', '+55 and a landline'),
    ('5521 3456 7890', '+552134567890', '55 and a landline, grouped by fours'),
    ('11.98765.4321', '+5511987654321', 'dots as separators'),
    ('0 15 21 3456-7890', '+552134567890', 'trunk 0, carrier 15 and a landline'),
    ('(+55) 11 98765-4321', '+5511987654321', '+ after a separator'),
    ('90 11 98765-4321', '+5511987654321', 'national prefix 90 and a number'),
    ('0 0 11 98765-4321', NULL, 'two zeros then a number (not 0055)'),
    ('+5511987654321+1', NULL, 'a second +'),
    ('(11) 2002-4314 ramal 12', NULL, 'ramal: letters read as a vanity number, too long'),
    ('0800 123 4567', NULL, 'toll free'),
    ('0300 123 4567', NULL, 'shared cost 0300'),
    ('0900 123 4567', NULL, 'premium rate'),
    ('4004-1234', NULL, 'shared cost 4004'),
    ('+1 (212) 555-1234', '+12125551234', 'another country: + and its digits'),
    ('00 21 1 212 555 1234', '+12125551234', 'another country after 00 + carrier'),
    ('+44 20 7946 0958', '+442079460958', 'United Kingdom'),
    ('+1 555', NULL, 'another country, too few digits'),
    ('+999 1234 5678', NULL, 'unknown country code'),
    ('+1 2345 6789 0123 4567', NULL, 'another country, 16 digits'),
    ('', NULL, 'empty'),
    ('abc', NULL, 'no digits'),
    (NULL, NULL, 'NULL'),
    (repeat(' ', 250) || '11987654321', NULL, 'longer than 250 characters')
  ) AS v(raw, expected, description);

SELECT is(omni_identity.normalize_phone(raw, region), expected, 'phone, region ' || coalesce(region, 'NULL') || ': ' || description)
  FROM (VALUES
    ('+55 11 98765-4321', 'US', '+5511987654321', 'international format read'),
    ('+1 212 555 1234', 'PT', '+12125551234', 'international format read'),
    ('(11) 98765-4321', 'US', NULL, 'national format not read'),
    ('(11) 98765-4321', 'br', '+5511987654321', 'region is case-insensitive'),
    ('(11) 98765-4321', NULL, NULL, 'no region: international format only')
  ) AS v(raw, region, expected, description);

-- normalize_document: CPF, numeric and alphanumeric CNPJ, formatting, check digits.
SELECT is(omni_identity.normalize_document(raw), expected, 'document: ' || description)
  FROM (VALUES
    ('529.982.247-25', '52998224725', 'masked CPF'),
    ('52998224725', '52998224725', 'bare CPF'),
    (' 529 982 247 25 ', '52998224725', 'CPF with spaces'),
    ('529.982.247-26', NULL, 'CPF, wrong second check digit'),
    ('529.982.247-35', NULL, 'CPF, wrong first check digit'),
    ('111.111.111-11', NULL, 'CPF, all digits equal'),
    ('5299822472', NULL, 'CPF of 10 digits: never zero-padded'),
    ('11.222.333/0001-81', '11222333000181', 'masked CNPJ'),
    ('11222333000181', '11222333000181', 'bare CNPJ'),
    ('11.222.333/0001-82', NULL, 'CNPJ, wrong check digit'),
    ('00000000000000', NULL, 'CNPJ, all digits equal'),
    ('12.ABC.345/01DE-35', '12ABC34501DE35', 'alphanumeric CNPJ'),
    ('12abc34501de35', '12ABC34501DE35', 'alphanumeric CNPJ, lowercase'),
    ('12.ABC.345/01DE-36', NULL, 'alphanumeric CNPJ, wrong check digit'),
    ('AAAAAAAAAAAAAA', NULL, 'alphanumeric, all characters equal'),
    ('12ABC34501DE3A', NULL, 'letter among the check digits'),
    ('ABCDEFGHIJK', NULL, 'letters where a CPF is expected'),
    ('12.345.678/0001-9', NULL, '13 characters'),
    ('１２３.４５６.７８９-０９', NULL, 'fullwidth digits are not a document'),
    ('529.982.247_25', NULL, 'underscore is not a separator'),
    ('529.982.247-25' || repeat('.', 250), NULL, 'longer than 256 characters'),
    ('', NULL, 'empty'),
    (NULL, NULL, 'NULL')
  ) AS v(raw, expected, description);

-- normalize_name: NFD, marks dropped, lowercase, non-alphanumeric runs to one space.
SELECT is(omni_identity.normalize_name(raw), expected, 'name: ' || description)
  FROM (VALUES
    ('  José  da SILVA-Ñúñez!! ', 'jose da silva nunez', 'accents, case, punctuation, spaces'),
    ('MARIA', 'maria', 'lowercase'),
    ('Ana-Clara O''Brien', 'ana clara o brien', 'hyphen and apostrophe become spaces'),
    ('Straße 12', 'straße 12', 'digits and ß kept'),
    ('İlker', 'ilker', 'dotted capital I'),
    ('ΟΔΥΣΣΕΥΣ', 'οδυσσευς', 'Greek, final sigma'),
    ('張偉', '張偉', 'CJK kept'),
    ('...', NULL, 'only punctuation'),
    ('', NULL, 'empty'),
    (NULL, NULL, 'NULL')
  ) AS v(raw, expected, description);

-- identifier_sha256: the forms the advertising platforms hash.
SELECT is(omni_identity.identifier_sha256(key_type, value), expected, 'sha256: ' || description)
  FROM (VALUES
    ('email', ' Foo@Example.COM ', encode(sha256(convert_to('foo@example.com', 'UTF8')), 'hex'), 'normalized e-mail'),
    ('phone', '(11) 98765-4321', encode(sha256(convert_to('5511987654321', 'UTF8')), 'hex'), 'E.164 without +'),
    ('name', 'Zoë O''Brien', encode(sha256(convert_to('zoë obrien', 'UTF8')), 'hex'), 'name: accents kept, punctuation removed'),
    ('name', '  JOSÉ   da  Silva ', encode(sha256(convert_to('josé da silva', 'UTF8')), 'hex'), 'name: spaces collapsed'),
    ('document', '529.982.247-25', encode(sha256(convert_to('52998224725', 'UTF8')), 'hex'), 'normalized document'),
    ('email', 'not-an-email', NULL, 'invalid e-mail'),
    ('phone', '0800 123 4567', NULL, 'toll-free phone'),
    ('name', '!!!', NULL, 'empty name'),
    ('cpf', '529.982.247-25', NULL, 'unknown key type'),
    (NULL, 'a@b.com', NULL, 'NULL key type')
  ) AS v(key_type, value, expected, description);

-- Bounds (README, "Normalization bounds"): past them NULL, before any Unicode normalization.
-- Combining marks here are 16 kB: code that lost its bound takes a second on them, where
-- 1 MB would run for an hour that nothing interrupts (tests_py/test_normalize_bounds.py
-- sends 1 MB only after 16 kB passed).
SELECT is(omni_identity.normalize_email(raw), expected, 'email bound: ' || description)
  FROM (VALUES
    ('a@' || repeat('abcdefghi.', 25) || 'co', 'a@' || repeat('abcdefghi.', 25) || 'co', '254 octets'),
    ('ab@' || repeat('abcdefghi.', 25) || 'co', NULL, '255 octets'),
    (E'\u00e9@' || repeat('abcdefghi.', 25) || 'c', E'\u00e9@' || repeat('abcdefghi.', 25) || 'c', '254 octets, 253 characters'),
    (E'\u00e9@' || repeat('abcdefghi.', 25) || 'co', NULL, '255 octets, 254 characters'),
    (E'e\u0301@' || repeat('abcdefghi.', 25) || 'c', NULL, '255 octets as written, 254 once NFC: counted before NFC'),
    (E'\u023a@' || repeat('abcdefghi.', 25) || 'c', NULL, '254 octets as written, 255 once lowercased'),
    (repeat(' ', 4000) || 'ana@x.com' || repeat(' ', 87), 'ana@x.com', 'padded to 4096 octets'),
    (repeat(' ', 4000) || 'ana@x.com' || repeat(' ', 88), NULL, 'padded to 4097 octets'),
    ('e' || repeat(E'\u0301\u0316', 4096) || '@x.com', NULL, '16 kB of combining marks')
  ) AS v(raw, expected, description);
SELECT is(omni_identity.normalize_name(raw), expected, 'name bound: ' || description)
  FROM (VALUES
    (repeat('a', 1024), repeat('a', 1024), '1024 octets'),
    (repeat('a', 1025), NULL, '1025 octets'),
    (repeat(E'\u00e9', 512), repeat('e', 512), '1024 octets, 512 characters'),
    ('a' || repeat(E'\u00e9', 512), NULL, '1025 octets, 513 characters'),
    (repeat(' ', 3072) || repeat('a', 1024), repeat('a', 1024), '1024 octets trimmed, 4096 as given'),
    (repeat(' ', 3073) || repeat('a', 1024), NULL, '1024 octets trimmed, 4097 as given'),
    ('e' || repeat(E'\u0301\u0316', 4096), NULL, '16 kB of combining marks')
  ) AS v(raw, expected, description);
SELECT is(omni_identity.golden_name(raw), expected, 'golden name bound: ' || description)
  FROM (VALUES
    (E'\u3000 ' || repeat('a', 1024) || E'\t', repeat('a', 1024), '1024 octets trimmed'),
    (repeat('a', 1025), NULL, '1025 octets'),
    ('e' || repeat(E'\u0301\u0316', 4096), NULL, '16 kB of combining marks')
  ) AS v(raw, expected, description);
SELECT is(omni_identity.identifier_sha256('name', raw), expected, 'sha256 name bound: ' || description)
  FROM (VALUES
    (repeat('A', 1024), encode(sha256(convert_to(repeat('a', 1024), 'UTF8')), 'hex'), '1024 octets'),
    (repeat('A', 1025), NULL, '1025 octets'),
    ('e' || repeat(E'\u0301\u0316', 4096), NULL, '16 kB of combining marks')
  ) AS v(raw, expected, description);
SELECT is(omni_identity.normalize_document(raw), expected, 'document bound: ' || description)
  FROM (VALUES
    ('52998224725' || repeat(E'\u3000', 245), '52998224725', '256 characters (746 octets)'),
    ('52998224725' || repeat(E'\u3000', 246), NULL, '257 characters'),
    (repeat('1', 1048576), NULL, '1 MB of digits')
  ) AS v(raw, expected, description);
SELECT is(omni_identity.normalize_phone(raw), expected, 'phone bound: ' || description)
  FROM (VALUES
    (E'\U0001d7cf\U0001d7cf\U0001d7d7\U0001d7d6\U0001d7d5\U0001d7d4\U0001d7d3\U0001d7d2\U0001d7d1\U0001d7d0\U0001d7cf'
       || repeat(E'\U0001f600', 239), '+5511987654321', '250 characters of 4 octets (1000 octets)'),
    (E'\U0001d7cf\U0001d7cf\U0001d7d7\U0001d7d6\U0001d7d5\U0001d7d4\U0001d7d3\U0001d7d2\U0001d7d1\U0001d7d0\U0001d7cf'
       || repeat(E'\U0001f600', 240), NULL, '251 characters (1004 octets)'),
    ('(11) 98765-4321' || repeat(' ', 235), '+5511987654321', '250 characters'),
    ('(11) 98765-4321' || repeat(' ', 236), NULL, '251 characters'),
    ('+' || repeat('5', 1048576), NULL, '1 MB of digits')
  ) AS v(raw, expected, description);

-- Never an error, whatever the text.
SELECT lives_ok($$ SELECT omni_identity.normalize_email(repeat('a', 1048576) || '@x.com'),
                          omni_identity.normalize_phone(repeat('1', 1048576)),
                          omni_identity.normalize_document(repeat('1', 1048576)),
                          omni_identity.normalize_name(repeat('Á', 1048576)),
                          omni_identity.identifier_sha256('name', repeat('x', 1048576)) $$,
                'normalizers take 1 MB strings');
SELECT lives_ok($$ SELECT omni_identity.normalize_email(s), omni_identity.normalize_phone(s),
                          omni_identity.normalize_document(s), omni_identity.normalize_name(s),
                          omni_identity.identifier_sha256('name', s)
                     FROM (SELECT string_agg(chr(c), '') AS s FROM generate_series(1, 1114111) c
                            WHERE c NOT BETWEEN 55296 AND 57343) cp $$,
                'normalizers take every Unicode code point at once');
SELECT lives_ok($$ SELECT omni_identity.normalize_phone(chr(c) || '11987654321' || chr(c)),
                          omni_identity.normalize_email(chr(c) || 'a@b.com'),
                          omni_identity.normalize_name(chr(c))
                     FROM generate_series(1, 31) c $$,
                'normalizers take control characters');

-- The options that make them safe to inline and to run in parallel.
SELECT is(p.provolatile::text || p.proparallel::text, 'is', p.proname || ' is IMMUTABLE PARALLEL SAFE')
  FROM pg_proc p
 WHERE p.pronamespace = 'omni_identity'::regnamespace
   AND p.proname IN ('normalize_email', 'normalize_phone', 'normalize_document', 'normalize_name', 'identifier_sha256');

-- The application role reaches every helper the normalizers call (slow paths included).
SELECT tests.act_as('omni_identity_app', 'tenant-a');
SELECT lives_ok($$ SELECT omni_identity.normalize_phone('Tel 0 21 (11) 98765-4321 x1'),
                          omni_identity.normalize_phone('+1 212 555 1234', 'US'),
                          omni_identity.normalize_email(' É@b.com', true),
                          omni_identity.normalize_document('12.ABC.345/01DE-35'),
                          omni_identity.normalize_document('529.982.247-25'),
                          omni_identity.normalize_name('Ærø'),
                          omni_identity.identifier_sha256('name', 'Zoë') $$,
                'omni_identity_app may call the normalizers and their helpers');

SELECT * FROM finish();
ROLLBACK;
