-- CodeRAG Web demo schema: a public library (SQLite).
-- Written by the CodeRAG Web team; CC0-1.0. Sample rows generated deterministically by a throwaway script.

CREATE TABLE authors (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  country TEXT,
  birth_year INTEGER
);
CREATE TABLE books (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  author_id INTEGER NOT NULL REFERENCES authors(id),
  genre TEXT NOT NULL,
  published_year INTEGER,
  isbn TEXT UNIQUE,
  copies INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE members (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT UNIQUE,
  city TEXT,
  join_date TEXT NOT NULL
);
CREATE TABLE loans (
  id INTEGER PRIMARY KEY,
  book_id INTEGER NOT NULL REFERENCES books(id),
  member_id INTEGER NOT NULL REFERENCES members(id),
  loan_date TEXT NOT NULL,
  due_date TEXT NOT NULL,
  return_date TEXT
);

INSERT INTO authors (id, name, country, birth_year) VALUES
  (1, 'Helen Marsh', 'UK', 1948),
  (2, 'Kenji Arai', 'Japan', 1971),
  (3, 'Marta Ruiz', 'Spain', 1965),
  (4, 'Paul Lindqvist', 'Sweden', 1980),
  (5, 'Amara Okafor', 'Nigeria', 1976),
  (6, 'Jean Lefevre', 'France', 1932),
  (7, 'Diane Porter', 'USA', 1959),
  (8, 'Tomas Novak', 'Czechia', 1984),
  (9, 'Sara Bianchi', 'Italy', 1990),
  (10, 'Robert Hale', 'USA', 1945),
  (11, 'Ingrid Vogel', 'Germany', 1969),
  (12, 'Lucas Moreau', 'France', 1988);

INSERT INTO books (id, title, author_id, genre, published_year, isbn, copies) VALUES
  (1, 'The Silent Harbour', 8, 'History', 2005, '978-0-840162-01', 2),
  (2, 'Letters from Kyoto', 3, 'Poetry', 1980, '978-0-323824-02', 2),
  (3, 'A Brief History of Salt', 10, 'Science', 1984, '978-0-614950-03', 1),
  (4, 'The Glass Orchard', 5, 'Biography', 1973, '978-0-812386-04', 1),
  (5, 'Night Train to Lisbon Road', 12, 'Mystery', 1985, '978-0-839231-05', 2),
  (6, 'Stars Over the Delta', 7, 'Fantasy', 2012, '978-0-941675-06', 1),
  (7, 'The Clockmaker', 2, 'Fiction', 2024, '978-0-511746-07', 4),
  (8, 'Rivers of Iron', 9, 'History', 2003, '978-0-701215-08', 1),
  (9, 'Quiet Mathematics', 4, 'Poetry', 1998, '978-0-107555-09', 3),
  (10, 'The Last Lighthouse', 11, 'Science', 1982, '978-0-121586-10', 2),
  (11, 'Paper Kingdoms', 6, 'Biography', 2008, '978-0-451461-11', 4),
  (12, 'Under the Lemon Tree', 1, 'Mystery', 1968, '978-0-216085-12', 1),
  (13, 'The Cartographer', 8, 'Fantasy', 1972, '978-0-524447-13', 2),
  (14, 'Winter Garden', 3, 'Fiction', 2016, '978-0-543756-14', 4),
  (15, 'Echoes of the Marsh', 10, 'History', 1988, '978-0-945089-15', 2),
  (16, 'The Ninth Door', 5, 'Poetry', 2016, '978-0-573883-16', 4),
  (17, 'Small Gods of the City', 12, 'Science', 1971, '978-0-381390-17', 1),
  (18, 'A Life in Colour', 7, 'Biography', 1997, '978-0-693236-18', 1),
  (19, 'Signals and Noise', 2, 'Mystery', 1977, '978-0-635780-19', 4),
  (20, 'The Northern Road', 9, 'Fantasy', 2020, '978-0-470318-20', 4),
  (21, 'Moss and Stone', 4, 'Fiction', 1994, '978-0-456358-21', 1),
  (22, 'The Borrowed House', 11, 'History', 1967, '978-0-813530-22', 1),
  (23, 'Songs for the Ferry', 6, 'Poetry', 1978, '978-0-515766-23', 3),
  (24, 'Empire of Ants', 1, 'Science', 1995, '978-0-904267-24', 2),
  (25, 'The Orchid Thief of Rome', 8, 'Biography', 1996, '978-0-577946-25', 1);

INSERT INTO members (id, name, email, city, join_date) VALUES
  (1, 'Alice Grant', 'alice.grant@library.example', 'Riverside', '2022-08-02'),
  (2, 'Bruno Costa', 'bruno.costa@library.example', 'Fairview', '2021-09-24'),
  (3, 'Chen Wei', 'chen.wei@library.example', 'Lakeside', '2020-03-21'),
  (4, 'Dara Nolan', 'dara.nolan@library.example', 'Springfield', '2022-12-23'),
  (5, 'Eva Kowalski', 'eva.kowalski@library.example', 'Riverside', '2024-05-16'),
  (6, 'Farid Haddad', 'farid.haddad@library.example', 'Fairview', '2020-12-17'),
  (7, 'Greta Lund', 'greta.lund@library.example', 'Lakeside', '2023-07-01'),
  (8, 'Hiro Tanaka', 'hiro.tanaka@library.example', 'Springfield', '2020-03-06'),
  (9, 'Isabel Cruz', 'isabel.cruz@library.example', 'Riverside', '2019-07-14'),
  (10, 'Jonah Price', 'jonah.price@library.example', 'Fairview', '2020-06-20'),
  (11, 'Kira Ivanova', 'kira.ivanova@library.example', 'Lakeside', '2021-11-06'),
  (12, 'Leo Fischer', 'leo.fischer@library.example', 'Springfield', '2024-11-08'),
  (13, 'Maya Patel', 'maya.patel@library.example', 'Riverside', '2023-10-05'),
  (14, 'Nils Berg', 'nils.berg@library.example', 'Fairview', '2020-02-18'),
  (15, 'Olga Petrova', 'olga.petrova@library.example', 'Lakeside', '2022-12-01'),
  (16, 'Priya Nair', 'priya.nair@library.example', 'Springfield', '2020-06-16'),
  (17, 'Quentin Blake', 'quentin.blake@library.example', 'Riverside', '2019-06-02'),
  (18, 'Rosa Vidal', 'rosa.vidal@library.example', 'Fairview', '2020-10-04'),
  (19, 'Sam Okoro', 'sam.okoro@library.example', 'Lakeside', '2018-03-01'),
  (20, 'Tess Murray', 'tess.murray@library.example', 'Springfield', '2023-10-08');

INSERT INTO loans (id, book_id, member_id, loan_date, due_date, return_date) VALUES
  (1, 18, 17, '2023-01-02', '2023-01-23', NULL),
  (2, 20, 16, '2023-02-01', '2023-02-22', NULL),
  (3, 7, 1, '2023-02-22', '2023-03-15', '2023-03-01'),
  (4, 16, 11, '2023-03-13', '2023-04-03', '2023-04-02'),
  (5, 2, 14, '2023-03-13', '2023-04-03', '2023-03-17'),
  (6, 5, 11, '2023-03-15', '2023-04-05', '2023-03-28'),
  (7, 22, 3, '2023-03-25', '2023-04-15', '2023-04-27'),
  (8, 8, 7, '2023-07-11', '2023-08-01', '2023-07-28'),
  (9, 13, 7, '2023-07-11', '2023-08-01', '2023-07-29'),
  (10, 1, 15, '2023-08-12', '2023-09-02', '2023-08-27'),
  (11, 15, 15, '2023-09-21', '2023-10-12', NULL),
  (12, 14, 17, '2024-02-18', '2024-03-10', '2024-02-23'),
  (13, 2, 10, '2024-03-01', '2024-03-22', '2024-03-17'),
  (14, 12, 16, '2024-06-06', '2024-06-27', '2024-06-25'),
  (15, 1, 15, '2024-07-21', '2024-08-11', '2024-08-02'),
  (16, 16, 15, '2024-09-23', '2024-10-14', '2024-10-21'),
  (17, 13, 12, '2024-11-18', '2024-12-09', '2024-11-24'),
  (18, 4, 5, '2024-12-07', '2024-12-28', '2024-12-21'),
  (19, 19, 15, '2025-01-20', '2025-02-10', '2025-01-27'),
  (20, 17, 17, '2025-03-15', '2025-04-05', NULL),
  (21, 7, 6, '2025-03-16', '2025-04-06', NULL),
  (22, 3, 9, '2025-03-22', '2025-04-12', '2025-04-24'),
  (23, 9, 4, '2025-04-08', '2025-04-29', '2025-04-16'),
  (24, 21, 13, '2025-04-13', '2025-05-04', NULL),
  (25, 7, 13, '2025-04-23', '2025-05-14', NULL),
  (26, 1, 12, '2025-08-28', '2025-09-18', '2025-09-17'),
  (27, 6, 17, '2025-10-06', '2025-10-27', '2025-10-14'),
  (28, 19, 16, '2025-10-13', '2025-11-03', '2025-10-30'),
  (29, 18, 5, '2025-11-08', '2025-11-29', '2025-12-09'),
  (30, 13, 1, '2025-12-20', '2026-01-10', '2026-01-08');
