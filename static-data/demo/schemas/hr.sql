-- CodeRAG Web demo schema: human resources (SQLite).
-- Written by the CodeRAG Web team; CC0-1.0. Sample rows generated deterministically by a throwaway script.

CREATE TABLE departments (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  location TEXT NOT NULL,
  budget REAL NOT NULL
);
CREATE TABLE employees (
  id INTEGER PRIMARY KEY,
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE,
  job_title TEXT NOT NULL,
  department_id INTEGER REFERENCES departments(id),
  manager_id INTEGER REFERENCES employees(id),
  salary REAL NOT NULL,
  hire_date TEXT NOT NULL
);
CREATE TABLE projects (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  department_id INTEGER NOT NULL REFERENCES departments(id),
  start_date TEXT NOT NULL,
  end_date TEXT,
  budget REAL NOT NULL
);
CREATE TABLE assignments (
  employee_id INTEGER NOT NULL REFERENCES employees(id),
  project_id INTEGER NOT NULL REFERENCES projects(id),
  role TEXT NOT NULL,
  hours INTEGER NOT NULL,
  PRIMARY KEY (employee_id, project_id)
);

INSERT INTO departments (id, name, location, budget) VALUES
  (1, 'Engineering', 'Berlin', 1200000.00),
  (2, 'Sales', 'London', 650000.00),
  (3, 'Marketing', 'Paris', 400000.00),
  (4, 'Finance', 'London', 300000.00),
  (5, 'Human Resources', 'Berlin', 220000.00),
  (6, 'Support', 'Lisbon', 280000.00),
  (7, 'Legal', 'Paris', 150000.00);

INSERT INTO employees (id, first_name, last_name, email, job_title, department_id, manager_id, salary, hire_date) VALUES
  (1, 'Nadia', 'Keller', 'nadia.keller@corp.example', 'Chief Technology Officer', 1, NULL, 185000.00, '2019-01-23'),
  (2, 'Tom', 'Barker', 'tom.barker@corp.example', 'Sales Director', 2, NULL, 150000.00, '2019-10-18'),
  (3, 'Ines', 'Duval', 'ines.duval@corp.example', 'Marketing Director', 3, NULL, 140000.00, '2018-03-28'),
  (4, 'Frank', 'Osborne', 'frank.osborne@corp.example', 'Finance Director', 4, NULL, 145000.00, '2014-01-08'),
  (5, 'Lena', 'Brandt', 'lena.brandt@corp.example', 'HR Manager', 5, NULL, 98000.00, '2016-07-23'),
  (6, 'Rui', 'Santos', 'rui.santos@corp.example', 'Support Manager', 6, NULL, 88000.00, '2014-02-14'),
  (7, 'Clara', 'Weiss', 'clara.weiss@corp.example', 'Senior Engineer', 1, 1, 112000.00, '2016-09-02'),
  (8, 'Amir', 'Rahimi', 'amir.rahimi@corp.example', 'Senior Engineer', 1, 1, 118000.00, '2019-04-10'),
  (9, 'Jonas', 'Ek', 'jonas.ek@corp.example', 'Software Engineer', 1, 7, 84000.00, '2024-06-10'),
  (10, 'Priya', 'Shah', 'priya.shah@corp.example', 'Staff Engineer', 1, 7, 115000.00, '2025-08-02'),
  (11, 'Marek', 'Zielinski', 'marek.zielinski@corp.example', 'Software Engineer', 1, 8, 79000.00, '2017-08-20'),
  (12, 'Yuki', 'Honda', 'yuki.honda@corp.example', 'Data Engineer', 1, 8, 91000.00, '2016-08-06'),
  (13, 'Sean', 'Doyle', 'sean.doyle@corp.example', 'Account Executive', 2, 2, 72000.00, '2020-11-05'),
  (14, 'Emma', 'Fry', 'emma.fry@corp.example', 'Account Executive', 2, 2, 69000.00, '2016-07-24'),
  (15, 'Victor', 'Lam', 'victor.lam@corp.example', 'Sales Representative', 2, 13, 52000.00, '2019-05-16'),
  (16, 'Julie', 'Morel', 'julie.morel@corp.example', 'Marketing Specialist', 3, 3, 61000.00, '2018-12-23'),
  (17, 'Hugo', 'Blanc', 'hugo.blanc@corp.example', 'Content Writer', 3, 3, 48000.00, '2020-11-06'),
  (18, 'Olivia', 'Grant', 'olivia.grant@corp.example', 'Accountant', 4, 4, 67000.00, '2020-08-05'),
  (19, 'Ben', 'Archer', 'ben.archer@corp.example', 'Financial Analyst', 4, 4, 74000.00, '2019-11-01'),
  (20, 'Sara', 'Lind', 'sara.lind@corp.example', 'Recruiter', 5, 5, 56000.00, '2016-10-24'),
  (21, 'Pedro', 'Alves', 'pedro.alves@corp.example', 'Support Specialist', 6, 6, 45000.00, '2019-03-16'),
  (22, 'Ana', 'Costa', 'ana.costa@corp.example', 'Support Specialist', 6, 6, 46500.00, '2020-02-07'),
  (23, 'Mei', 'Lin', 'mei.lin@corp.example', 'Support Specialist', 6, 6, 44000.00, '2024-02-01'),
  (24, 'Kofi', 'Mensah', 'kofi.mensah@corp.example', 'QA Engineer', 1, 7, 76000.00, '2023-05-10'),
  (25, 'Laura', 'Fontaine', 'laura.fontaine@corp.example', 'Intern', NULL, 7, 28000.00, '2021-02-07');

INSERT INTO projects (id, name, department_id, start_date, end_date, budget) VALUES
  (1, 'Mobile App Rewrite', 1, '2024-02-01', NULL, 450000.00),
  (2, 'Data Platform', 1, '2023-06-15', '2025-03-31', 380000.00),
  (3, 'Spring Campaign', 3, '2025-02-01', '2025-05-31', 90000.00),
  (4, 'CRM Migration', 2, '2024-09-01', NULL, 120000.00),
  (5, 'Annual Audit', 4, '2025-01-05', '2025-03-15', 40000.00),
  (6, 'Help Center Revamp', 6, '2024-04-01', '2024-12-20', 60000.00),
  (7, 'Graduate Hiring', 5, '2025-03-01', NULL, 35000.00),
  (8, 'Partner Portal', 1, '2025-06-01', NULL, 210000.00),
  (9, 'Brand Refresh', 3, '2023-09-01', '2024-03-31', 150000.00),
  (10, 'Tax Automation', 4, '2025-09-01', NULL, 75000.00);

INSERT INTO assignments (employee_id, project_id, role, hours) VALUES
  (1, 8, 'Reviewer', 365),
  (2, 4, 'Reviewer', 77),
  (3, 3, 'Reviewer', 379),
  (3, 9, 'Lead', 334),
  (4, 5, 'Lead', 313),
  (4, 10, 'Coordinator', 232),
  (5, 7, 'Lead', 157),
  (8, 1, 'Reviewer', 149),
  (8, 8, 'Reviewer', 389),
  (9, 2, 'Reviewer', 139),
  (9, 8, 'Lead', 217),
  (10, 1, 'Developer', 365),
  (10, 2, 'Developer', 290),
  (11, 1, 'Reviewer', 252),
  (12, 1, 'Lead', 387),
  (12, 5, 'Analyst', 52),
  (13, 4, 'Reviewer', 328),
  (14, 4, 'Lead', 330),
  (16, 3, 'Lead', 381),
  (16, 8, 'Analyst', 69),
  (16, 9, 'Developer', 292),
  (17, 3, 'Coordinator', 315),
  (18, 4, 'Analyst', 36),
  (18, 5, 'Reviewer', 175),
  (18, 10, 'Analyst', 130),
  (19, 10, 'Lead', 186),
  (20, 7, 'Reviewer', 209),
  (21, 6, 'Analyst', 94),
  (22, 6, 'Coordinator', 56),
  (23, 6, 'Lead', 304),
  (24, 2, 'Lead', 255);
