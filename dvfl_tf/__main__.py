from dvfl_tf.cli import main

main()
