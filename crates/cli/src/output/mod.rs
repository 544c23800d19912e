//! Output for two readers: a person (tables, lines, progress) and a program
//! (JSON), plus plots written as files. One module per format.
